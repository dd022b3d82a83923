/**
 * The thread's event stream: every run's events in turn order, each its run's own SSE message with
 * `id: <turn>.<seq>`; a resume at any point (Last-Event-ID or ?after=) continues exactly there, across
 * run boundaries, with no gap and no duplicate, replayed or live; the stream follows the thread
 * (pinging while idle) until the client leaves, or ends after the replay with follow=false.
 */
import { describe, expect, it } from "vitest";
import { allEvents, api, waitForStatus } from "../support/api";
import type { RunEnvelope } from "../support/api";
import { calculatorResult, deliver, dispatchedRequests } from "../support/runs";
import { readSse } from "../support/sse";
import type { SseFrame } from "../support/sse";
import { createThread, postMessage, threadEvents, waitForIdle } from "../support/threads";

async function stream(threadId: string, init: { after?: string; lastEventId?: string; follow?: boolean } = {}) {
  const query = new URLSearchParams();
  if (init.after !== undefined) query.set("after", init.after);
  if (init.follow === false) query.set("follow", "false");
  const headers: Record<string, string> = init.lastEventId === undefined ? {} : { "last-event-id": init.lastEventId };
  return api(`/threads/${threadId}/events?${query}`, { headers });
}

/** The event frames as `[id, envelope]`. */
function events(frames: SseFrame[]): [string, RunEnvelope][] {
  return frames.filter((f) => f.data !== undefined).map((f) => [f.id ?? "", JSON.parse(f.data ?? "{}") as RunEnvelope]);
}

/** The thread's log as the stream must send it: every run's events, in turn order, with their ids. */
async function expectedLog(runs: { run_id: string; turn: number }[]): Promise<[string, RunEnvelope][]> {
  const out: [string, RunEnvelope][] = [];
  for (const run of runs) for (const event of await allEvents(run.run_id)) out.push([`${run.turn}.${event.seq}`, event]);
  return out;
}

/** A thread of two completed turns. */
async function twoTurns() {
  const threadId = await createThread();
  const runs = [await postMessage(threadId, { message: "hello" }), await postMessage(threadId, { message: "hello again" })];
  await waitForIdle(threadId);
  return { threadId, runs, log: await expectedLog(runs) };
}

describe("the thread's event stream", () => {
  it("replays every run in turn order, each event its run's message with id <turn>.<seq>, after a retry: frame", async () => {
    const { threadId, log } = await twoTurns();
    const response = await stream(threadId, { follow: false });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const { frames, ended } = await readSse(response);
    expect(ended).toBe(true);
    expect(frames[0]?.retry).toBe("1000");
    expect(events(frames)).toEqual(log);
    for (const frame of frames.filter((f) => f.data !== undefined)) expect(frame.event).toBe(JSON.parse(frame.data ?? "{}").type);
    expect(await threadEvents(threadId)).toEqual(log.map(([, event]) => event));
  });

  it("resumes after any event, across the run boundary, by Last-Event-ID or ?after=, the header winning", async () => {
    const { threadId, log } = await twoTurns();
    for (let i = 0; i < log.length; i++) {
      const [id] = log[i]!;
      const { frames } = await readSse(await stream(threadId, { lastEventId: id, follow: false }));
      expect(events(frames).map(([eventId]) => eventId), `after ${id}`).toEqual(log.slice(i + 1).map(([eventId]) => eventId));
    }
    const lastOfFirst = log.filter(([id]) => id.startsWith("1.")).at(-1)![0];
    const byQuery = events((await readSse(await stream(threadId, { after: lastOfFirst, follow: false }))).frames);
    expect(byQuery[0]?.[0]).toBe("2.1");
    const both = events((await readSse(await stream(threadId, { after: "0", lastEventId: lastOfFirst, follow: false }))).frames);
    expect(both[0]?.[0]).toBe("2.1");
  });

  it("goes live across run boundaries with no gap or duplicate, then stays open, pinging, for the next turn", async () => {
    const threadId = await createThread();
    const first = await postMessage(threadId, { message: "What is 2 + 3?" });
    const second = await postMessage(threadId, { message: "What is 4 + 5?" });
    const [request] = await dispatchedRequests(first.run_id);
    // Joins mid-run: part replay, part live.
    const response = await stream(threadId);
    const reading = readSse(response, {
      timeoutMs: 20_000,
      stop: (frames) => frames.filter((f) => f.event === "run.completed").length === 3 && frames.at(-1)?.comment === "ping",
    });
    await deliver(first.run_id, request!.request_id, calculatorResult(5));
    const [request2] = await dispatchedRequests(second.run_id);
    await deliver(second.run_id, request2!.request_id, calculatorResult(9));
    await waitForStatus(second.run_id, ["completed"]);
    const third = await postMessage(threadId, { message: "hello" });
    await waitForStatus(third.run_id, ["completed"]);
    const { frames, ended } = await reading;
    expect(ended).toBe(false);
    expect(events(frames)).toEqual(await expectedLog([first, second, third]));
    expect(frames.some((f) => f.comment === "ping")).toBe(true);
  });

  it("is 400 for a cursor that is malformed or names a turn the thread does not have, never a hang", async () => {
    const { threadId } = await twoTurns();
    for (const bad of ["3.x", "-1.2", "1.", "x"]) {
      const byQuery = await stream(threadId, { after: bad });
      expect(byQuery.status, bad).toBe(400);
      expect(await byQuery.json()).toMatchObject({ error: { code: "invalid_request" } });
      expect((await stream(threadId, { lastEventId: bad })).status, bad).toBe(400);
      expect((await api(`/threads/${threadId}/events?format=json&after=${bad}`)).status, bad).toBe(400);
    }
    for (const past of ["99.1", "3.0"]) {
      expect((await stream(threadId, { after: past })).status, past).toBe(400);
      expect((await api(`/threads/${threadId}/events?format=json&after=${past}`)).status, past).toBe(400);
    }
    // A seq past the end of a turn that exists is a clean end of that turn.
    const { frames, ended } = await readSse(await stream(threadId, { after: "2.999", follow: false }));
    expect(ended).toBe(true);
    expect(events(frames)).toEqual([]);
  });

  it("pages the same events as JSON, with <turn>.<seq> cursors", async () => {
    const { threadId, log } = await twoTurns();
    const seen: RunEnvelope[] = [];
    let after = "0";
    let pages = 0;
    for (;;) {
      const response = await api(`/threads/${threadId}/events?format=json&after=${after}&limit=7`);
      const page = (await response.json()) as { events: RunEnvelope[]; next_after: string; done: boolean };
      pages += 1;
      seen.push(...page.events);
      if (page.events.length === 0) {
        expect(page.done).toBe(true);
        break;
      }
      expect(page.events.length).toBeLessThanOrEqual(7);
      after = page.next_after;
    }
    expect(seen).toEqual(log.map(([, event]) => event));
    expect(pages).toBeGreaterThan(log.length / 7);
  });
});
