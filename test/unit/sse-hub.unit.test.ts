/**
 * The SSE hub on its own, with a log held in memory and fake timers, so the heartbeat's timing and
 * the end of a stream can be checked exactly (CONTRACT.md "SSE wire format").
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { SseHub } from "../../src/durable-objects/sse-hub";
import type { SsePipe } from "../../src/durable-objects/sse-hub";
import type { AppendedEvent } from "../../src/engine/journal";
import type { EventType } from "../../src/engine/events";

/** Outside workerd there is no IdentityTransformStream: the hub writes through a standard stream. */
const standardPipe = (): SsePipe => new TransformStream<Uint8Array, Uint8Array>();

class MemoryLog {
  readonly events: AppendedEvent[] = [];
  append(type: EventType): AppendedEvent {
    const seq = this.events.length + 1;
    const event = { seq, type, json: JSON.stringify({ seq, type }) };
    this.events.push(event);
    return event;
  }
  page = (after: number, limit: number) => this.events.filter((e) => e.seq > after).slice(0, limit);
  ended = () => this.events.some((e) => ["run.completed", "run.failed", "run.cancelled"].includes(e.type));
}

/** Reads a stream in the background, noting the (fake) time at which each frame arrived. */
function record(response: Response) {
  const frames: { at: number; text: string }[] = [];
  const state = { ended: false };
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        state.ended = true;
        return;
      }
      for (const text of decoder.decode(value).split("\n\n").filter((t) => t !== "")) frames.push({ at: Date.now(), text });
    }
  })();
  return { frames, state, cancel: () => reader.cancel().catch(() => {}) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("SseHub", () => {
  it("never leaves an idle stream longer than the heartbeat interval without a frame", async () => {
    vi.useFakeTimers({ now: 0 });
    const log = new MemoryLog();
    log.append("run.started");
    const heartbeatMs = 400;
    const hub = new SseHub({ page: log.page, ended: log.ended }, { heartbeatMs, retryMs: 1000, pipe: standardPipe });
    const stream = record(hub.subscribe(0, true));
    await vi.advanceTimersByTimeAsync(250);
    // An event arrives at an arbitrary moment; after it the stream is idle again.
    hub.publish([log.append("workflow.waiting")]);
    await vi.advanceTimersByTimeAsync(3_000);
    const times = stream.frames.map((f) => f.at);
    expect(stream.frames.some((f) => f.text === ": ping")).toBe(true);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.max(...gaps), `frame times ${times.join(", ")}`).toBeLessThanOrEqual(heartbeatMs);
    stream.cancel();
    hub.closeAll();
  });

  it("drops a live subscriber that stops reading once too many bytes wait, and keeps one that reads", async () => {
    const log = new MemoryLog();
    log.append("run.started");
    // As workerd's native pipe does: its high-water mark and what waits are counted in bytes.
    const bytePipe = (): SsePipe => new TransformStream<Uint8Array, Uint8Array>({}, new ByteLengthQueuingStrategy({ highWaterMark: 1024 }));
    const hub = new SseHub({ page: log.page, ended: log.ended }, { heartbeatMs: 60_000, retryMs: 1000, pipe: bytePipe, maxQueuedBytes: 4096 });
    const stalled = hub.subscribe(0, true);
    const reading = record(hub.subscribe(0, true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(hub.size).toBe(2);
    for (let i = 0; i < 200; i++) {
      hub.publish([log.append("output.chunk")]);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    // The stalled one (its body never read) was dropped; the reader has every event, in order.
    expect(hub.size).toBe(1);
    const ids = reading.frames.filter((f) => f.text.startsWith("id: ")).map((f) => Number(f.text.split("\n")[0]!.slice(4)));
    expect(ids).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    // Dropping it ended its stream, so a client reconnects with Last-Event-ID.
    const rest = await new Response(stalled.body).text();
    expect(rest).toContain("id: 1\n");
    reading.cancel();
    hub.closeAll();
  });

  it("answers a replay nothing will follow in one body, the same bytes a stream would carry, and keeps no subscriber", async () => {
    const log = new MemoryLog();
    for (const type of ["run.started", "output.chunk", "run.completed", "feedback.recorded"] as const) log.append(type);
    let piped = 0;
    const pipe = (): SsePipe => (piped++, standardPipe());
    const hub = new SseHub({ page: log.page, ended: log.ended }, { heartbeatMs: 400, retryMs: 1000, pipe });
    const frames = (after: number) =>
      "retry: 1000\n\n" + log.events.filter((e) => e.seq > after).map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${e.json}\n\n`).join("");
    // The run has ended: replayed from the start and after a cursor, following or not.
    for (const [after, follow] of [[0, true], [2, true], [0, false]] as const) {
      const response = hub.subscribe(after, follow);
      expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(await response.text()).toBe(frames(after));
    }
    // A run still going, with follow=false: the replay so far, then the end.
    const running = new MemoryLog();
    running.append("run.started");
    const hub2 = new SseHub({ page: running.page, ended: running.ended }, { heartbeatMs: 400, retryMs: 1000, pipe });
    expect(await hub2.subscribe(0, false).text()).toBe(`retry: 1000\n\nid: 1\nevent: run.started\ndata: ${running.events[0]!.json}\n\n`);
    expect(piped, "no stream was opened").toBe(0);
    expect(hub.size + hub2.size).toBe(0);
    // Following a run still going opens a stream; so does a replay longer than a page.
    hub2.subscribe(0, true).body!.cancel().catch(() => {});
    for (let i = 0; i < 300; i++) log.append("output.chunk");
    let reads = 0;
    const counted = new SseHub({ page: (after, limit) => (reads++, log.page(after, limit)), ended: log.ended }, { heartbeatMs: 400, retryMs: 1000, pipe });
    const long = counted.subscribe(0, false);
    expect(piped).toBe(2);
    const text = await long.text();
    expect(text).toBe(frames(0));
    expect(reads, "each page is read once: two pages of a 304-event log").toBe(2);
    hub.closeAll();
    hub2.closeAll();
  });

  it("ends a stream resumed from beyond the head of the log once the run ends", async () => {
    vi.useFakeTimers({ now: 0 });
    const log = new MemoryLog();
    log.append("run.started");
    log.append("workflow.waiting");
    const hub = new SseHub({ page: log.page, ended: log.ended }, { heartbeatMs: 400, retryMs: 1000, pipe: standardPipe });
    // A client resumes with a Last-Event-ID beyond the log (a stale id, a log it saw elsewhere).
    const stream = record(hub.subscribe(50, true));
    await vi.advanceTimersByTimeAsync(100);
    hub.publish([log.append("workflow.resumed"), log.append("run.completed")]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stream.state.ended, "the stream ends after the run's terminal event").toBe(true);
    expect(hub.size).toBe(0);
    stream.cancel();
    hub.closeAll();
  });
});
