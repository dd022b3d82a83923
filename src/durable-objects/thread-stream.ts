/**
 * The SSE stream of a thread (CONTRACT.md "Threads"): the events of every run of the thread, in
 * turn order, each as its run's SSE message with `id: <turn>.<seq>`. It copies no events: for each
 * turn it opens its run's own stream (replay, then live, until the run's terminal event: the run's
 * SseHub already joins the two with no gap or duplicate), rewrites the ids, and moves on to the next
 * turn, from seq 0, once that run has ended. So a resume at `3.17` is the run's resume at 17, then
 * the turns after it, and nothing is lost or repeated at a run boundary. Between runs it waits for
 * the thread to change, sending `: ping` while idle; the stream follows the thread until the client
 * leaves (`?follow=false`: the replay, then the end).
 */
import { SSE_HEADERS, sseStream } from "./sse-hub";
import { isTerminalEvent } from "../engine/lifecycle";
import type { ThreadCursor } from "../engine/threads/cursor";

const encoder = new TextEncoder();
const PING = encoder.encode(": ping\n\n");

/** What a stream needs of its thread. */
export interface ThreadLog {
  /**
   * A turn's run, if the turn exists: `readable` once its run object holds it (queued or started),
   * `ended` once the thread knows its run ended.
   */
  turn(turn: number): { run_id: string; readable: boolean; ended: boolean } | null;
  /** The run's own SSE stream after `after` (null: its object does not hold the run). */
  runStream(runId: string, after: number, follow: boolean): Promise<Response | null>;
}

interface Subscriber {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  closed: boolean;
  lastWrite: number;
  /** Wakes a subscriber waiting for the thread to change. */
  wake: (() => void) | null;
  /** The run stream being copied, cancelled when the client goes. */
  source: ReadableStreamDefaultReader<Uint8Array> | null;
}

/** One run's SSE frames, re-addressed as the thread's: `id: 17` of turn 3 becomes `id: 3.17`. */
export class FrameRewriter {
  private buffer = "";
  lastSeq: number | null = null;
  sawTerminal = false;

  constructor(private readonly turn: number) {}

  /** The complete frames in `text` (and any left over from before), rewritten; pings and `retry:` are dropped. */
  push(text: string): string {
    this.buffer += text;
    const end = this.buffer.lastIndexOf("\n\n");
    if (end < 0) return "";
    const complete = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end + 2);
    let out = "";
    for (const block of complete.split("\n\n")) {
      if (block === "") continue;
      const lines = block.split("\n");
      const idLine = lines.findIndex((line) => line.startsWith("id: "));
      if (idLine < 0) continue; // `retry:` and `: ping`: the thread stream sends its own
      const seq = Number(lines[idLine]?.slice(4));
      lines[idLine] = `id: ${this.turn}.${seq}`;
      const type = lines.find((line) => line.startsWith("event: "))?.slice(7) ?? "";
      if (isTerminalEvent(type)) this.sawTerminal = true;
      this.lastSeq = seq;
      out += `${lines.join("\n")}\n\n`;
    }
    return out;
  }
}

export class ThreadStreams {
  private readonly subscribers = new Set<Subscriber>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly log: ThreadLog,
    private readonly options: { heartbeatMs: number; retryMs: number },
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(cursor: ThreadCursor, follow: boolean): Response {
    const { readable, writable } = sseStream();
    const subscriber: Subscriber = { writer: writable.getWriter(), closed: false, lastWrite: Date.now(), wake: null, source: null };
    this.subscribers.add(subscriber);
    this.ensureHeartbeat();
    this.write(subscriber, encoder.encode(`retry: ${this.options.retryMs}\n\n`));
    // Not awaited: nothing reads the stream until the response is returned.
    void this.pump(subscriber, cursor, follow);
    return new Response(readable, { headers: SSE_HEADERS });
  }

  /** The thread changed (a turn was added, started or ended): waiting subscribers look again. */
  changed(): void {
    for (const subscriber of this.subscribers) {
      const wake = subscriber.wake;
      subscriber.wake = null;
      wake?.();
    }
  }

  private async pump(subscriber: Subscriber, cursor: ThreadCursor, follow: boolean): Promise<void> {
    let turn = Math.max(1, cursor.turn);
    let after = cursor.turn === 0 ? 0 : cursor.seq;
    try {
      while (!subscriber.closed) {
        const info = this.log.turn(turn);
        if (info === null || !info.readable) {
          if (!follow) break;
          await this.waitForChange(subscriber);
          continue;
        }
        const response = await this.log.runStream(info.run_id, after, follow);
        let ended = info.ended;
        if (response === null) {
          // The run object does not hold it yet (a race with its enqueue): look again shortly.
          if (!ended) {
            if (!follow) break;
            await this.waitForChange(subscriber);
            continue;
          }
        } else if (response.status === 204 || response.body === null) {
          // Nothing after the cursor in an ended run.
          ended = true;
        } else {
          const copied = await this.copy(subscriber, response.body, turn);
          if (copied.lastSeq !== null) after = copied.lastSeq;
          ended = copied.sawTerminal || this.log.turn(turn)?.ended === true;
        }
        if (subscriber.closed) break;
        if (ended) {
          turn += 1;
          after = 0;
          continue;
        }
        if (!follow) break;
        // The run's stream ended before its run did (its object went away, or this client was too
        // slow and was dropped): open it again from the last event sent.
        await this.waitForChange(subscriber, 100);
      }
    } catch {
      // The client went away, or a run's object failed mid-stream: the client resumes by Last-Event-ID.
    }
    this.close(subscriber);
  }

  /** Copies one run's stream into the thread's, rewriting its ids, until the run's stream ends. */
  private async copy(subscriber: Subscriber, body: ReadableStream<Uint8Array>, turn: number): Promise<FrameRewriter> {
    const rewriter = new FrameRewriter(turn);
    const reader = body.getReader();
    subscriber.source = reader;
    const decoder = new TextDecoder();
    try {
      for (;;) {
        if (subscriber.closed) break;
        const { done, value } = await reader.read();
        if (done) break;
        const out = rewriter.push(decoder.decode(value, { stream: true }));
        if (out !== "") {
          this.write(subscriber, encoder.encode(out));
          // Backpressure: a slow client slows the copy, and in the end its run stream drops it.
          await subscriber.writer.ready;
        }
      }
    } finally {
      subscriber.source = null;
      if (subscriber.closed) await reader.cancel().catch(() => {});
    }
    return rewriter;
  }

  /** Until the thread changes, the client goes, or `ms` pass (a lost wake-up costs at most that). */
  private waitForChange(subscriber: Subscriber, ms = this.options.heartbeatMs): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        subscriber.wake = null;
        resolve();
      }, ms);
      subscriber.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private write(subscriber: Subscriber, bytes: Uint8Array): void {
    if (subscriber.closed) return;
    subscriber.writer.write(bytes).catch(() => this.close(subscriber));
    subscriber.lastWrite = Date.now();
  }

  private close(subscriber: Subscriber): void {
    if (subscriber.closed) return;
    subscriber.closed = true;
    this.subscribers.delete(subscriber);
    subscriber.wake?.();
    subscriber.wake = null;
    subscriber.source?.cancel().catch(() => {});
    subscriber.writer.close().catch(() => {});
    if (this.subscribers.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  /** `: ping` to idle subscribers: a failed write is how a vanished client is noticed. */
  private ensureHeartbeat(): void {
    if (this.heartbeat !== null) return;
    const tick = Math.max(10, Math.floor(this.options.heartbeatMs / 4));
    const idleLimit = Math.max(0, this.options.heartbeatMs - tick);
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      for (const subscriber of this.subscribers) {
        if (now - subscriber.lastWrite >= idleLimit) this.write(subscriber, PING);
      }
    }, tick);
  }
}
