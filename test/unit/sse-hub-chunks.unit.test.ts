/**
 * The SSE hub writes whole pages and whole commits as single chunks (each chunk costs a trip
 * through the object's stream, the worker and the connection; per-event writes made a 10,000-event
 * replay take seconds), and the frames inside stay exactly the contract's.
 */
import { describe, expect, it } from "vitest";
import { SseHub } from "../../src/durable-objects/sse-hub";
import type { SsePipe } from "../../src/durable-objects/sse-hub";
import type { AppendedEvent } from "../../src/engine/journal";
import { eventFrames, parseFrames } from "../support/sse";

/** Outside workerd there is no IdentityTransformStream: the hub writes through a standard stream. */
const standardPipe = (): SsePipe => new TransformStream<Uint8Array, Uint8Array>();

function event(seq: number, type: AppendedEvent["type"] = "node.started"): AppendedEvent {
  return { seq, type, json: JSON.stringify({ seq, type, data: { node: `n${seq}`, step: "act" } }) };
}

function memoryLog(count: number) {
  const log = Array.from({ length: count }, (_, i) => event(i + 1));
  let ended = false;
  return {
    log,
    end: () => (ended = true),
    source: { page: (after: number, limit: number) => log.filter((e) => e.seq > after).slice(0, limit), ended: () => ended },
  };
}

/** Reads chunks until the stream ends. */
async function rest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string[]> {
  const decoder = new TextDecoder();
  const out: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(decoder.decode(value));
  }
}

describe("SseHub", () => {
  it("replays a long log a page per chunk, every frame intact and in order", async () => {
    const { source } = memoryLog(600);
    const hub = new SseHub(source, { heartbeatMs: 60_000, retryMs: 1000, pipe: standardPipe });
    const received = await rest(hub.subscribe(0, false).body!.getReader());
    expect(received.length).toBe(3); // pages of 256, 256 and 88
    const frames = eventFrames(parseFrames(received.join("")));
    expect(frames.map((f) => f.id)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(frames[0]).toMatchObject({ event: "node.started", data: { seq: 1 } });
  });

  it("sends a commit of several events to a live subscriber as one chunk, and ends after the terminal one", async () => {
    const { log, source, end } = memoryLog(2);
    const hub = new SseHub(source, { heartbeatMs: 60_000, retryMs: 1000, pipe: standardPipe });
    const reader = hub.subscribe(0, true).body!.getReader();
    const replayed = await reader.read();
    expect(eventFrames(parseFrames(new TextDecoder().decode(replayed.value))).map((f) => f.id)).toEqual([1, 2]);

    const commit = [event(3), event(4), event(5, "run.completed"), event(6, "feedback.recorded")];
    log.push(...commit);
    end();
    hub.publish(commit);
    const live = await rest(reader);
    // One chunk for the commit, stopping at the terminal event; then the stream ends.
    expect(live.length).toBe(1);
    expect(eventFrames(parseFrames(live[0]!)).map((f) => [f.id, f.event])).toEqual([
      [3, "node.started"],
      [4, "node.started"],
      [5, "run.completed"],
    ]);
    expect(hub.size).toBe(0);
  });
});
