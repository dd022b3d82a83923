/**
 * The inspector served from another origin (a plain static server) against the engine with API
 * keys: everything goes through CORS, the key travels as `Authorization`, and the event streams
 * are opened with stream tokens, since a browser's EventSource cannot send a header.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { launchBrowser, newPage, screenshot } from "./support/browser.ts";
import { getJson } from "./support/engine.ts";
import { answerText, expectWholeTimeline, startFromPage, waitForConnection, waitForRunStatus } from "./support/inspector-page.ts";
import { startStaticServer } from "./support/static-server.ts";
import { ANN, OTHER_ORIGIN_PORT } from "./ports.ts";

const api = inject("keyedOrigin");
let site: { origin: string; close(): Promise<void> };
let browser: Browser;
let page: Page;
let errors: string[];

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  status?: number;
  allowOrigin?: string;
}
let seen: Seen[];

beforeAll(async () => {
  site = await startStaticServer(OTHER_ORIGIN_PORT);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});
beforeEach(async () => {
  errors = [];
  seen = [];
  page = await newPage(browser, errors);
  page.on("request", (request) => {
    if (request.url().startsWith(api)) seen.push({ method: request.method(), url: request.url(), authorization: request.headers().authorization });
  });
  page.on("response", (response) => {
    const entry = seen.find((s) => s.url === response.url() && s.method === response.request().method() && s.status === undefined);
    if (entry) Object.assign(entry, { status: response.status(), allowOrigin: response.headers()["access-control-allow-origin"] });
  });
});
afterEach(async () => {
  await page.close();
  // A refused CORS request shows up as a console error, not a page error: check the network too.
  expect(errors).toEqual([]);
});

const streams = (runId: string) => seen.filter((s) => s.url.startsWith(`${api}/runs/${runId}/events`) && !s.url.includes("format=json"));

describe("the inspector on another origin, with an API key and stream tokens", () => {
  it("is refused without a key, and works with one: runs, a streamed answer, an approval", async () => {
    await page.goto(`${site.origin}/?api=${encodeURIComponent(api)}`);
    await page.waitForFunction(() => /unauthorized/.test(document.getElementById("runs-status")?.textContent ?? ""));

    // With an API base and no key, the page opens its connection settings by itself.
    expect(await page.locator("#settings").getAttribute("open")).not.toBeNull();
    await page.getByLabel(/API key/).fill(ANN);
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForFunction(() => !/unauthorized/.test(document.getElementById("runs-status")?.textContent ?? ""));

    const runId = await startFromPage(page, "What is 6 * 7?");
    await waitForRunStatus(page, "completed");
    expect(await answerText(page)).toBe("6 * 7 = 42.");
    const state = await getJson<{ last_seq: number }>({ origin: api, key: ANN }, `/runs/${runId}/state`);
    await expectWholeTimeline(page, state.last_seq);
    await waitForConnection(page, "ended");

    const start = seen.find((s) => s.method === "POST" && s.url === `${api}/runs`)!;
    expect(start.authorization).toBe(`Bearer ${ANN}`);
    expect(start.status).toBe(201);
    expect(start.allowOrigin).toBe(site.origin);
    const [stream] = streams(runId);
    expect(stream, "the page opened the run's stream").toBeDefined();
    expect(stream!.authorization, "an EventSource sends no Authorization").toBeUndefined();
    expect(new URL(stream!.url).searchParams.get("access_token")).toMatch(/^v1\./);
    expect(stream!.status).toBe(200);
    expect(stream!.allowOrigin).toBe(site.origin);
    await screenshot(page, "cross-origin-run");

    // A side-effecting tool, approved from this origin: a JSON POST with a preflight.
    await startFromPage(page, "remember: approved from another origin");
    const card = page.locator(".approval").first();
    await card.waitFor();
    await card.getByRole("button", { name: "Approve" }).click();
    await waitForRunStatus(page, "completed");
    expect(await answerText(page)).toContain("I saved the note");
    expect(seen.some((s) => s.method === "POST" && s.url.endsWith("/approval") && s.status === 202)).toBe(true);
  });

  it("reopens an ended run with a fresh stream token from POST /runs/{id}/stream-token", async () => {
    // The key as a returning user has it: already in local storage when the page loads.
    await page.goto(`${site.origin}/index.html`);
    await page.evaluate((key) => localStorage.setItem("run-inspector.api-key", key), ANN);
    const created = await fetch(`${api}/runs`, {
      method: "POST",
      headers: { authorization: `Bearer ${ANN}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "What is 9 - 3?" }),
    });
    const { run_id: runId } = (await created.json()) as { run_id: string };
    await page.goto(`${site.origin}/?api=${encodeURIComponent(api)}#/runs/${runId}`);
    await waitForRunStatus(page, "completed");
    expect(await answerText(page)).toBe("9 - 3 = 6.");
    const token = seen.find((s) => s.url === `${api}/runs/${runId}/stream-token`);
    expect(token?.status).toBe(201);
    expect(token?.authorization).toBe(`Bearer ${ANN}`);
    expect(new URL(streams(runId)[0]!.url).searchParams.get("access_token")).toMatch(/^v1\./);
  });
});
