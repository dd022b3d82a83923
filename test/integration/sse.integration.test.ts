import { describe, expect, it } from "vitest";
import { allEvents, api, postJson, startRun, waitFor, waitForStatus } from "../support/api";
import { deliver, dispatchedRequests } from "../support/runs";
import { eventFrames, readSse } from "../support/sse";

function isTerminal(type: string) {
  return type === "run.completed" || type === "run.failed" || type === "run.cancelled";
}

async function stream(runId: string, init: { after?: number; lastEventId?: string; follow?: boolean } = {}) {
  const query = new URLSearchParams();
  if (init.after !== undefined) query.set("after", String(init.after));
  if (init.follow === false) query.set("follow", "false");
  const headers: Record<string, string> = init.lastEventId === undefined ? {} : { "last-event-id": init.lastEventId };
  const response = await api(`/runs/${runId}/events?${query}`, { headers });
  expect(response.status).toBe(200);
  return response;
}

/** A run parked waiting for a tool result, so that the test decides when events flow. */
async function waitingRun(message = "What is 2 + 3?") {
  const runId = await startRun({ message });
  const [request] = await dispatchedRequests(runId);
  return { runId, requestId: request!.request_id };
}

describe("the SSE stream of a run", () => {
  it("replays an ended run in the contract's wire format, then ends", async () => {
    const runId = await startRun({ message: "stream me" });
    await waitForStatus(runId, ["completed"]);
    const response = await stream(runId);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    const { frames, ended } = await readSse(response);
    expect(ended).toBe(true);
    const events = eventFrames(frames);
    const log = await allEvents(runId);
    expect(events.map((e) => e.data)).toEqual(log);
    for (const event of events) {
      expect(String(event.id)).toBe(String(event.data.seq));
      expect(event.event).toBe(event.data.type);
    }
  });

  it("resumes after every seq, by Last-Event-ID or ?after=, and the header wins", async () => {
    const runId = await startRun({ message: "resume me" });
    await waitForStatus(runId, ["completed"]);
    const last = (await allEvents(runId)).length;
    for (let n = 0; n < last; n++) {
      const byHeader = eventFrames((await readSse(await stream(runId, { lastEventId: String(n) }))).frames);
      expect(byHeader.map((e) => e.id)).toEqual(Array.from({ length: last - n }, (_, i) => n + i + 1));
    }
    const byQuery = eventFrames((await readSse(await stream(runId, { after: last - 2 }))).frames);
    expect(byQuery.map((e) => e.id)).toEqual([last - 1, last]);
    const both = eventFrames((await readSse(await stream(runId, { after: 1, lastEventId: String(last - 1) }))).frames);
    expect(both.map((e) => e.id)).toEqual([last]);
  });

  it("opens every stream with a `retry:` frame", async () => {
    const { runId } = await waitingRun();
    const { frames } = await readSse(await stream(runId), { stop: (f) => f.length > 1 });
    expect(frames[0]).toEqual({ retry: "1000" });
  });

  it("answers 204 to a cursor at or past the end of an ended run, so an EventSource stops", async () => {
    const runId = await startRun({ message: "finish me" });
    await waitForStatus(runId, ["completed"]);
    const last = (await allEvents(runId)).length;
    for (const init of [{ lastEventId: String(last) }, { after: last }, { after: last + 50 }, { after: 1, lastEventId: String(last) }]) {
      const query = init.after === undefined ? "" : `?after=${init.after}`;
      const headers: Record<string, string> = init.lastEventId === undefined ? {} : { "last-event-id": init.lastEventId };
      const response = await api(`/runs/${runId}/events${query}`, { headers });
      expect(response.status, JSON.stringify(init)).toBe(204);
      expect(await response.text()).toBe("");
    }
    // One event short of the end still streams it.
    expect((await api(`/runs/${runId}/events?after=${last - 1}`)).status).toBe(200);
  });

  it("goes live after the replay and ends after the terminal event", async () => {
    const { runId, requestId } = await waitingRun();
    const response = await stream(runId);
    const reading = readSse(response, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await deliver(runId, requestId);
    const { frames, ended } = await reading;
    expect(ended).toBe(true);
    const events = eventFrames(frames);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.event).toBe("run.completed");
    expect(events.map((e) => e.data)).toEqual(await allEvents(runId));
  });

  it("joins replay and live without a gap or a duplicate, however events race the subscriptions", async () => {
    const { runId, requestId } = await waitingRun("What is 7 * 8?");
    // Subscribers connect at staggered moments from every cursor while the run finishes.
    const readers: Promise<{ after: number; ids: number[] }>[] = [];
    for (let i = 0; i < 24; i++) {
      const after = i % 6;
      readers.push(
        (async () => {
          await new Promise((resolve) => setTimeout(resolve, i * 2));
          const { frames, ended } = await readSse(await stream(runId, { after }), { timeoutMs: 10_000 });
          expect(ended).toBe(true);
          return { after, ids: eventFrames(frames).map((e) => e.id) };
        })(),
      );
      if (i === 8) void deliver(runId, requestId);
    }
    const results = await Promise.all(readers);
    const total = (await allEvents(runId)).length;
    for (const { after, ids } of results) {
      expect(ids).toEqual(Array.from({ length: total - after }, (_, k) => after + k + 1));
    }
  });

  it("sends `: ping` while idle", async () => {
    const { runId } = await waitingRun();
    const { frames } = await readSse(await stream(runId), {
      stop: (fs) => fs.some((f) => f.comment === "ping"),
      timeoutMs: 3_000,
    });
    expect(frames.some((f) => f.comment === "ping")).toBe(true);
  });

  it("with ?follow=false sends the replay and ends, even while the run goes on", async () => {
    const { runId } = await waitingRun();
    const { frames, ended } = await readSse(await stream(runId, { follow: false }), { timeoutMs: 3_000 });
    expect(ended).toBe(true);
    const events = eventFrames(frames);
    expect(events.at(-1)?.event).toBe("workflow.waiting");
    expect(events.some((e) => isTerminal(e.event))).toBe(false);
  });

  it("replays events after the terminal one, but an ended live stream does not wait for them", async () => {
    const { runId, requestId } = await waitingRun();
    const live = readSse(await stream(runId), { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await deliver(runId, requestId);
    const first = await live;
    expect(first.ended).toBe(true);
    expect(eventFrames(first.frames).at(-1)?.event).toBe("run.completed");
    expect((await postJson("/feedback", { run_id: runId, rating: "down" })).status).toBe(201);
    const replay = eventFrames((await readSse(await stream(runId))).frames);
    expect(replay.slice(-2).map((e) => e.event)).toEqual(["run.completed", "feedback.recorded"]);
  });

  it("streams a cancelled run to its end", async () => {
    const { runId } = await waitingRun();
    const reading = readSse(await stream(runId), { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect((await api(`/runs/${runId}/cancel`, { method: "POST" })).status).toBe(202);
    const { frames, ended } = await reading;
    expect(ended).toBe(true);
    expect(eventFrames(frames).at(-1)).toMatchObject({ event: "run.cancelled", data: { data: { by_user_id: "dev" } } });
  });

  it("serves many subscribers of one run the same events", async () => {
    const { runId, requestId } = await waitingRun();
    const readers = Array.from({ length: 50 }, async () => eventFrames((await readSse(await stream(runId), { timeoutMs: 10_000 })).frames));
    await waitFor(async () => ((await allEvents(runId)).length > 0 ? true : undefined), "events");
    await new Promise((resolve) => setTimeout(resolve, 100));
    await deliver(runId, requestId);
    const all = await Promise.all(readers);
    const expected = (await allEvents(runId)).map((e) => e.seq);
    for (const events of all) expect(events.map((e) => e.id)).toEqual(expected);
  });
});
