/**
 * The run inspector in a real Chromium against `wrangler dev` in dev mode: starting runs and
 * watching them stream, approving a tool request on the page, resuming after the connection drops,
 * opening an ended run, the trace waterfall, a long run, and a native EventSource that stops at
 * the end.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { accessibilityViolations } from "./support/accessibility.ts";
import { launchBrowser, newPage, screenshot, screenshotOf } from "./support/browser.ts";
import { getJson, postJson, startRun, waitForRun } from "./support/engine.ts";
import type { EngineClient } from "./support/engine.ts";
import { answerText, expectWholeTimeline, settled, startFromPage, waitForConnection, waitForRunStatus } from "./support/inspector-page.ts";
import { startProxy } from "./support/proxy.ts";

const engine: EngineClient = { origin: inject("devOrigin") };
let browser: Browser;
let page: Page;
let errors: string[];

/**
 * A 2,000-event run, built while the other tests run: feedback events follow a run's end, and the
 * API appends them one at a time (about 30 ms each under wrangler dev), so this takes a minute.
 */
const LONG_RUN_EVENTS = 2000;
let longRun: Promise<string> | undefined;

async function buildLongRun(): Promise<string> {
  const runId = await startRun(engine, "hello, a long one");
  let { last_seq } = await waitForRun(engine, runId, ["completed"]);
  while (last_seq < LONG_RUN_EVENTS) {
    const batch = Math.min(8, LONG_RUN_EVENTS - last_seq);
    await Promise.all(Array.from({ length: batch }, (_, i) => postJson(engine, "/feedback", { run_id: runId, rating: i % 2 ? "up" : "down" })));
    last_seq = (await getJson<{ last_seq: number }>(engine, `/runs/${runId}/state`)).last_seq;
  }
  return runId;
}

/** Starts building the long run (once): after the load-time measurement, which it would disturb. */
function longRunStarted(): Promise<string> {
  if (longRun === undefined) {
    longRun = buildLongRun();
    longRun.catch(() => {}); // awaited, and reported, by its own test
  }
  return longRun;
}

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  errors = [];
  page = await newPage(browser, errors);
});
afterEach(async () => {
  await page.close();
  expect(errors, "uncaught errors on the page").toEqual([]);
});

describe("the run inspector on wrangler dev", () => {
  it("loads in under a second, starts an offline run and streams its answer", async () => {
    const loadTime = async () => {
      await page.waitForLoadState("load");
      return page.evaluate(() => {
        const [nav] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
        return nav!.loadEventEnd - nav!.startTime;
      });
    };
    await page.goto(`${engine.origin}/`);
    const first = await loadTime();
    await page.reload();
    const again = await loadTime();
    console.log(`inspector load: first ${first.toFixed(0)} ms, reload ${again.toFixed(0)} ms`);
    expect(Math.min(first, again)).toBeLessThan(1000);
    void longRunStarted();

    const runId = await startFromPage(page, "What is 12 * (3 + 4)?");
    await waitForRunStatus(page, "completed");
    await waitForConnection(page, "ended");
    expect(await answerText(page)).toBe("12 * (3 + 4) = 84.");
    const state = await getJson<{ last_seq: number }>(engine, `/runs/${runId}/state`);
    await expectWholeTimeline(page, state.last_seq);
    // The tool call with its arguments and result, and RunState/WorkflowState from the API.
    await page.waitForSelector(`.tool-call:has-text("calculator.evaluate") .badge:has-text("completed")`);
    await page.waitForSelector(`.panel-state .steps tr[data-step=finalize][data-status=completed]`);
    await settled(page);
    await screenshot(page, "offline-run");
  });

  it("shows a note run's pending request exactly, the input gate's work and a look-alike letter flagged, and approves it on the page", async () => {
    await page.goto(`${engine.origin}/`);
    // The input gate strips the zero-width space and the bidi override before anything plans on the
    // message; the Cyrillic "а" in "Fridаy" is a look-alike the gate keeps, so the server warns.
    const runId = await startFromPage(page, "remember: the demo is on Fri\u200bd\u0430y, room \u202e31\u202c");
    const card = page.locator(".approval").first();
    await card.waitFor();
    await waitForRunStatus(page, "waiting");
    const args = (await card.locator("pre").textContent()) ?? "";
    expect(args).toContain("Frid\u0430y, room 31");
    expect(args).not.toMatch(/[\u200b\u202e\u202c]/);
    expect(await card.locator(".warnings").textContent()).toContain("mixed_script");
    expect(await page.locator(".panel-guardrails").textContent()).toMatch(/input/);
    // Hidden characters that do reach a page (from a model's arguments, say) are shown by name.
    // (A string, so that the test's bundler leaves the page's own import alone.)
    const shown = await page.evaluate<string>(`(async () => {
      const { visibleText } = await import("/js/visible.js");
      const box = document.createElement("div");
      box.append(visibleText("Fri\\u200bday, room \\u202e31\\u202c"));
      return box.textContent;
    })()`);
    expect(shown).toContain("Fri⟨U+200B ZERO WIDTH SPACE⟩day");
    expect(shown).toContain("⟨U+202E RLO⟩31⟨U+202C PDF⟩");
    await screenshotOf(page.locator(".panel-approvals"), "approval");
    expect(await accessibilityViolations(page), "WCAG 2.1 A/AA, with a request pending").toEqual([]);

    await card.locator("input").fill("checked the text");
    await card.getByRole("button", { name: "Approve" }).click();
    await waitForRunStatus(page, "completed");
    expect(await answerText(page)).toContain("I saved the note");
    expect(await page.locator(".approval").count()).toBe(0);
    const state = await getJson<{ last_seq: number; tool_requests: { status: string }[] }>(engine, `/runs/${runId}/state`);
    expect(state.tool_requests.map((r) => r.status)).toEqual(["completed"]);
    await expectWholeTimeline(page, state.last_seq);

    // Thumbs up with a comment: recorded, and its event arrives after the end.
    await page.getByRole("button", { name: "Thumbs up" }).click();
    await page.getByLabel("Comment (optional)").fill("quick and right");
    await page.getByRole("button", { name: "Send feedback" }).click();
    await page.waitForSelector(".feedback-list li");
    await expectWholeTimeline(page, state.last_seq + 1);
    await settled(page);
    await screenshot(page, "approved-run");
    expect(await accessibilityViolations(page), "WCAG 2.1 A/AA, every panel filled").toEqual([]);
  });

  it("resumes after the connection drops mid-run, without a gap or a duplicate", async () => {
    const proxy = await startProxy(engine.origin);
    try {
      await page.goto(`${proxy.origin}/`);
      const runId = await startFromPage(page, "remember: survive a dropped connection");
      await page.locator(".approval").first().waitFor();
      const pending = await waitForRun(engine, runId, ["waiting"]);
      await expectWholeTimeline(page, pending.last_seq);
      const seenBefore = pending.last_seq;

      await proxy.cut();
      await waitForConnection(page, "reconnecting");
      // The run goes on while the page is cut off: approved from elsewhere, it completes.
      const requestId = pending.tool_requests[0]!.request_id;
      await postJson(engine, `/runs/${runId}/approval`, { request_id: requestId, decision: "approve" });
      const done = await waitForRun(engine, runId, ["completed"]);
      expect(done.last_seq).toBeGreaterThan(seenBefore + 5);
      await new Promise((r) => setTimeout(r, 1500));
      const cutAt = Date.now();
      await proxy.restore();

      await waitForRunStatus(page, "completed");
      await expectWholeTimeline(page, done.last_seq);
      expect(await answerText(page)).toContain("I saved the note");
      // It picked up from where it was: the stream reopened after the last seq it had.
      const resumed = proxy.requests.filter((r) => r.at >= cutAt && r.url.startsWith(`/runs/${runId}/events`) && !r.url.includes("format=json"));
      expect(resumed.length).toBeGreaterThan(0);
      const cursor = resumed[0]!.lastEventId ?? new URL(resumed[0]!.url, proxy.origin).searchParams.get("after");
      expect(Number(cursor)).toBe(seenBefore);
      await waitForConnection(page, "ended");
    } finally {
      await proxy.close();
    }
  });

  it("recovers by itself when the browser gives up on its stream (a gateway answering 502)", async () => {
    const proxy = await startProxy(engine.origin);
    try {
      await page.goto(`${proxy.origin}/`);
      const runId = await startFromPage(page, "remember: survive a bad gateway");
      await page.locator(".approval").first().waitFor();
      const pending = await waitForRun(engine, runId, ["waiting"]);
      await expectWholeTimeline(page, pending.last_seq);

      // A non-200 answer makes a browser's EventSource give up for good: the page must reopen it.
      proxy.refuse(502);
      await waitForConnection(page, "reconnecting");
      await postJson(engine, `/runs/${runId}/approval`, { request_id: pending.tool_requests[0]!.request_id, decision: "approve" });
      const done = await waitForRun(engine, runId, ["completed"]);
      await new Promise((r) => setTimeout(r, 1500));
      const restoredAt = Date.now();
      await proxy.restore();

      await waitForRunStatus(page, "completed");
      await expectWholeTimeline(page, done.last_seq);
      await waitForConnection(page, "ended");
      // It caught up from where it was, not from the start.
      const after = proxy.requests.filter((r) => r.at >= restoredAt && r.url.startsWith(`/runs/${runId}/events`));
      expect(after.length).toBeGreaterThan(0);
      for (const request of after) {
        const cursor = request.lastEventId ?? new URL(request.url, proxy.origin).searchParams.get("after");
        expect(Number(cursor), request.url).toBeGreaterThanOrEqual(pending.last_seq);
      }
    } finally {
      await proxy.close();
    }
  });

  it("opens a run that ended long ago, replays it whole and does not keep polling", async () => {
    const runId = await startRun(engine, "What is 2 + 2?");
    await waitForRun(engine, runId, ["completed"]);
    // Feedback came in after the end: its events follow run.completed in the log.
    await postJson(engine, "/feedback", { run_id: runId, rating: "up" });
    await postJson(engine, "/feedback", { run_id: runId, rating: "down", comment: "too short" });
    const state = await getJson<{ last_seq: number }>(engine, `/runs/${runId}/state`);
    const streams: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes(`/runs/${runId}/events`) && !request.url().includes("format=json")) streams.push(request.url());
    });
    await page.goto(`${engine.origin}/#/runs/${runId}`);
    await waitForRunStatus(page, "completed");
    await expectWholeTimeline(page, state.last_seq);
    expect(await answerText(page)).toBe("2 + 2 = 4.");
    await waitForConnection(page, "ended");
    expect(await page.locator(".panel-feedback").textContent()).toContain("Recorded: 1 up, 1 down");
    await new Promise((r) => setTimeout(r, 2500));
    expect(streams, "one stream, closed at the terminal event").toHaveLength(1);
    await page.waitForSelector(`#runs-list li[data-run-id="${runId}"] a[aria-current=page]`);
  });

  it("still shows every event when the server sends a type the page does not listen for", async () => {
    const runId = await startRun(engine, "What is 3 * 3?");
    const state = await waitForRun(engine, runId, ["completed"]);
    // As if the catalogue had grown since the page was written: its EventSource never hears
    // decision.made, which leaves holes in seq that the page must fill from the JSON pages.
    await page.addInitScript(() => {
      const add = EventSource.prototype.addEventListener;
      EventSource.prototype.addEventListener = function (this: EventSource, type: string, ...rest: unknown[]) {
        if (type === "decision.made") return;
        return (add as (...args: unknown[]) => void).call(this, type, ...rest);
      } as typeof add;
    });
    const streams: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes(`/runs/${runId}/events`) && !request.url().includes("format=json")) streams.push(request.url());
    });
    await page.goto(`${engine.origin}/#/runs/${runId}`);
    await waitForRunStatus(page, "completed");
    await expectWholeTimeline(page, state.last_seq);
    expect(await page.locator("[data-testid=timeline] [data-type='decision.made']").count()).toBeGreaterThan(0);
    // Filled from the pages as soon as the hole showed, not after the stream ran out.
    await waitForConnection(page, "ended");
    await new Promise((r) => setTimeout(r, 1500));
    expect(streams).toHaveLength(1);
  });

  it("draws the trace waterfall to scale", async () => {
    const runId = await startRun(engine, "What is (1 + 2) * 3?");
    await waitForRun(engine, runId, ["completed"]);
    const { spans } = await getJson<{ spans: { span_id: string; name: string; kind: string; start: string; end: string | null }[] }>(engine, `/runs/${runId}/spans`);
    await page.goto(`${engine.origin}/#/runs/${runId}`);
    await waitForRunStatus(page, "completed");
    const rows = page.locator("[data-testid=waterfall] li");
    await page.waitForFunction((n) => document.querySelectorAll("[data-testid=waterfall] li").length === n, spans.length);
    const kinds = await rows.evaluateAll((els) => els.map((el) => (el as HTMLElement).dataset.kind));
    expect(new Set(kinds)).toEqual(new Set(spans.map((s) => s.kind)));
    expect(kinds).toEqual(expect.arrayContaining(["run", "step", "tool", "model", "wait"]));

    // Every bar sits inside its track, and the bars' offsets and widths are proportional to time.
    const boxes = await rows.evaluateAll((els) =>
      els.map((el) => {
        const track = el.querySelector(".wf-track")!.getBoundingClientRect();
        const bar = el.querySelector(".wf-bar")!.getBoundingClientRect();
        return { id: (el as HTMLElement).dataset.spanId, left: bar.left - track.left, width: bar.width, track: track.width };
      }),
    );
    const t0 = Math.min(...spans.map((s) => Date.parse(s.start)));
    const total = Math.max(...spans.map((s) => Date.parse(s.end ?? s.start))) - t0;
    for (const box of boxes) {
      const span = spans.find((s) => s.span_id === box.id)!;
      const left = ((Date.parse(span.start) - t0) / total) * box.track;
      const width = Math.max(2, ((Date.parse(span.end!) - Date.parse(span.start)) / total) * box.track);
      expect(Math.abs(box.left - left), `${span.name} starts to scale`).toBeLessThan(2);
      expect(Math.abs(box.width - width), `${span.name} is as long as it took`).toBeLessThan(2);
      expect(box.left + box.width).toBeLessThanOrEqual(box.track + 2);
    }
    const run = boxes.find((b) => spans.find((s) => s.span_id === b.id)?.kind === "run")!;
    expect(run.width).toBeGreaterThan(run.track - 2);
    await screenshotOf(page.locator(".panel-waterfall"), "waterfall");
  });

});

describe("a browser's own EventSource", () => {
  it("stops after the end: the reconnect after the last event gets 204, and no request follows", async () => {
    const runId = await startRun(engine, "What is 5 * 5?");
    await waitForRun(engine, runId, ["completed"]);
    const seen: { url: string; status?: number; lastEventId?: Promise<string | undefined> }[] = [];
    page.on("request", (request) => {
      if (request.url().includes(`/runs/${runId}/events`)) seen.push({ url: request.url(), lastEventId: request.allHeaders().then((h) => h["last-event-id"]) });
    });
    page.on("response", (response) => {
      const entry = seen.find((s) => s.url === response.url() && s.status === undefined);
      if (entry) entry.status = response.status();
    });
    await page.goto(`${engine.origin}/healthz`);
    await page.evaluate((url) => {
      const w = window as unknown as { es: EventSource; got: number[]; unnamed: number };
      w.got = [];
      w.unnamed = 0;
      w.es = new EventSource(url);
      w.es.onmessage = () => w.unnamed++;
      for (const type of ["run.started", "output.chunk", "run.completed"]) w.es.addEventListener(type, (e) => w.got.push(Number((e as MessageEvent).lastEventId)));
    }, `/runs/${runId}/events`);
    await page.waitForFunction(() => (window as unknown as { es: EventSource }).es.readyState === EventSource.CLOSED, null, { timeout: 15_000 });
    const { got, unnamed } = await page.evaluate(() => {
      const w = window as unknown as { got: number[]; unnamed: number };
      return { got: w.got, unnamed: w.unnamed };
    });
    expect(got.length).toBeGreaterThan(2);
    expect(unnamed, "named events never reach onmessage").toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    expect(seen.map((s) => s.status)).toEqual([200, 204]);
    expect(Number(await seen[1]!.lastEventId)).toBe(got.at(-1));
  });
});

// Last: the long run is built in the background while the tests above run.
describe("a long run", () => {
  it("stays whole and quick on a 2,000-event run", { timeout: 180_000 }, async () => {
    const runId = await longRunStarted();
    const { last_seq } = await getJson<{ last_seq: number }>(engine, `/runs/${runId}/state`);
    expect(last_seq).toBeGreaterThanOrEqual(LONG_RUN_EVENTS);
    const target = last_seq;

    await page.addInitScript(() => {
      const longTasks: number[] = [];
      (window as unknown as { longTasks: number[] }).longTasks = longTasks;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) longTasks.push(entry.duration);
      }).observe({ type: "longtask", buffered: true });
    });
    const started = Date.now();
    await page.goto(`${engine.origin}/#/runs/${runId}`);
    await expectWholeTimeline(page, target, 30_000);
    const renderedMs = Date.now() - started;
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    console.log(`2,000-event run: all rows after ${renderedMs} ms; long tasks ${longTasks.length}, longest ${Math.round(Math.max(0, ...longTasks))} ms`);
    expect(renderedMs).toBeLessThan(10_000);
    // Scrolling the timeline and opening a row stays responsive.
    const row = page.locator("[data-testid=timeline] [data-seq='1500'] button");
    await row.scrollIntoViewIfNeeded();
    await row.click();
    await page.waitForSelector("[data-testid=timeline] [data-seq='1500'] pre");
  });
});
