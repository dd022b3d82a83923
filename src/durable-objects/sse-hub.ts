/**
 * The live subscribers of one log, and the SSE wire format (CONTRACT.md "SSE wire format").
 *
 * A subscriber starts in replay: it reads the log page by page after its cursor (from the store:
 * the newest events from memory, older pages from SQLite). When a
 * page comes back short it has caught up, and it turns live in the same synchronous turn as that
 * read, so no append can slip between the two. Appends are committed before they are published,
 * and a live subscriber takes only the next seq after its cursor, so replay and live join without
 * a gap or a duplicate however they race. One encoded frame per event is shared by every subscriber.
 */
import type { AppendedEvent } from "../engine/journal";
import { isTerminalEvent } from "../engine/lifecycle";

const PAGE = 256;
/** Bytes a stream buffers before a replay waits for its reader (the stream's high-water mark). */
const STREAM_BUFFER = 64 * 1024;
/** Bytes a slow live subscriber may have waiting before it is dropped (it resumes by Last-Event-ID). */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
const encoder = new TextEncoder();
const PING = encoder.encode(": ping\n\n");

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  "content-encoding": "identity",
  "x-accel-buffering": "no",
};

function frameText(event: AppendedEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${event.json}\n\n`;
}

/**
 * The pipe behind an SSE response: a native byte stream, so a write goes to the response as it is,
 * with no JavaScript in between to carry each chunk (a standard TransformStream is pumped through
 * promises chunk by chunk, which cost 1,000 subscribers a third of their delivery time). Its
 * high-water mark, in bytes, is what makes `writer.ready` wait for a slow reader.
 */
export function sseStream(): SsePipe {
  return new IdentityTransformStream({ highWaterMark: STREAM_BUFFER });
}

/** What an SSE response is written through (a test outside workerd passes a standard TransformStream). */
export interface SsePipe {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

export function sseFrame(event: AppendedEvent): Uint8Array {
  return encoder.encode(frameText(event));
}

/** Consecutive frames as one chunk: each write costs a trip through the stream pipes (see replay). */
function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

interface Subscriber {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  cursor: number;
  live: boolean;
  follow: boolean;
  closed: boolean;
  /** The terminal event is queued: close after the next flush, take nothing more. */
  ending: boolean;
  /** Live frames taken (the cursor already counts them), not yet written. */
  queued: Uint8Array[];
  lastWrite: number;
}

export interface LogSource {
  /** Events with `seq > after`, in order, at most `limit`. */
  page(after: number, limit: number): AppendedEvent[];
  /** True once the log holds a terminal event. */
  ended(): boolean;
}

export class SseHub {
  private readonly subscribers = new Set<Subscriber>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  private readonly heartbeatMs: number;
  /** Sent as every stream's first frame (`retry: <ms>`): how long a browser waits to reconnect. */
  private readonly retryMs: number;

  private readonly pipe: () => SsePipe;
  private readonly maxQueuedBytes: number;

  constructor(
    private readonly source: LogSource,
    options: { heartbeatMs: number; retryMs: number; pipe?: () => SsePipe; maxQueuedBytes?: number },
  ) {
    this.heartbeatMs = options.heartbeatMs;
    this.retryMs = options.retryMs;
    this.pipe = options.pipe ?? sseStream;
    this.maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * The SSE response: events after `after`, then live ones unless `follow` is false. When nothing
   * will follow the replay and it is shorter than a page, the body is one string, not a stream.
   */
  subscribe(after: number, follow: boolean): Response {
    let first: AppendedEvent[] | undefined;
    if (!follow || this.source.ended()) {
      // Nothing will follow the replay. Shorter than a page, it is the whole body: the same body
      // the stream would carry in one write before closing, without the pipe, the subscriber and
      // the heartbeat (a client that opens its stream as the run ends, as most do, gets it sooner).
      first = this.source.page(after, PAGE);
      if (first.length < PAGE) return new Response(this.preamble() + first.map(frameText).join(""), { headers: SSE_HEADERS });
    }
    const { readable, writable } = this.pipe();
    const subscriber: Subscriber = {
      writer: writable.getWriter(),
      cursor: after,
      live: false,
      follow,
      closed: false,
      ending: false,
      queued: [],
      // 0 until the first write (the replay sends `retry:` with it).
      lastWrite: 0,
    };
    this.subscribers.add(subscriber);
    this.ensureHeartbeat();
    // Not awaited: nothing reads the stream until the response is returned.
    void this.replay(subscriber, first);
    return new Response(readable, { headers: SSE_HEADERS });
  }

  publish(events: AppendedEvent[]): void {
    if (this.subscribers.size === 0) return;
    const frames = events.map((event) => ({ event, frame: sseFrame(event) }));
    for (const subscriber of this.subscribers) {
      if (!subscriber.live || subscriber.closed || subscriber.ending) continue;
      // The frames this subscriber takes from this commit go out as one write.
      const parts: Uint8Array[] = [];
      let cursor = subscriber.cursor;
      let terminal = false;
      let outOfStep = false;
      for (const { event, frame } of frames) {
        if (event.seq <= cursor) {
          // A cursor past this event (a Last-Event-ID beyond the log): the events are not sent, but
          // the run's end still ends the stream.
          if (isTerminalEvent(event.type)) {
            terminal = true;
            break;
          }
          continue;
        }
        if (event.seq !== cursor + 1) {
          outOfStep = true;
          break;
        }
        parts.push(frame);
        cursor = event.seq;
        if (isTerminalEvent(event.type)) {
          terminal = true;
          break;
        }
      }
      if (parts.length > 0) {
        subscriber.queued.push(...parts);
        subscriber.cursor = cursor;
      }
      if (terminal) {
        subscriber.ending = true;
      } else if (outOfStep) {
        // Out of step (never expected): send what was taken, then read the log from the cursor.
        this.flushSubscriber(subscriber);
        subscriber.live = false;
        void this.replay(subscriber);
        continue;
      }
      this.scheduleFlush();
    }
  }

  /**
   * Live frames go out once per turn of the event loop, as one write per subscriber: the commits
   * of a step follow each other within a turn, and every write crosses the object's stream, the
   * worker and the connection on its own. (The output gate holds them until the commits are
   * durable in any case, so nothing is sent sooner by writing sooner.)
   */
  private scheduleFlush(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      for (const subscriber of [...this.subscribers]) this.flushSubscriber(subscriber);
    }, 0);
  }

  private flushSubscriber(subscriber: Subscriber): void {
    if (subscriber.queued.length > 0) {
      const bytes = concat(subscriber.queued.splice(0));
      this.write(subscriber, bytes);
    }
    if (subscriber.ending) this.close(subscriber);
    else if ((subscriber.writer.desiredSize ?? 0) < -this.maxQueuedBytes) this.close(subscriber);
  }

  /** `first`: the first page, when the caller has read it already. */
  private async replay(subscriber: Subscriber, first?: AppendedEvent[]): Promise<void> {
    // The stream opens with `retry:`, sent with the first page so that it costs no write of its own.
    let preamble = subscriber.lastWrite === 0 ? this.preamble() : "";
    try {
      for (;;) {
        if (subscriber.closed) return;
        const page = first ?? this.source.page(subscriber.cursor, PAGE);
        first = undefined;
        // One write per page, not per event: every chunk crosses the object's stream, the worker
        // and the HTTP connection on its own, and per-event writes made a 10,000-event replay
        // take seconds (bench/replay.mjs).
        const last = page.at(-1);
        if (last !== undefined || preamble !== "") {
          this.write(subscriber, encoder.encode(preamble + page.map(frameText).join("")), last?.seq);
          preamble = "";
        }
        if (page.length < PAGE) {
          // Caught up, in the same turn as the read: end, or turn live.
          if (!subscriber.follow || this.source.ended()) this.close(subscriber);
          else subscriber.live = true;
          return;
        }
        await subscriber.writer.ready;
      }
    } catch {
      this.close(subscriber);
    }
  }

  /** Every stream's first frame: how long a browser waits before it reconnects. */
  private preamble(): string {
    return `retry: ${this.retryMs}\n\n`;
  }

  private write(subscriber: Subscriber, frame: Uint8Array, seq?: number): void {
    if (subscriber.closed) return;
    subscriber.writer.write(frame).catch(() => this.close(subscriber));
    subscriber.lastWrite = Date.now();
    if (seq !== undefined) subscriber.cursor = seq;
  }

  private close(subscriber: Subscriber): void {
    if (subscriber.closed) return;
    subscriber.closed = true;
    subscriber.live = false;
    this.subscribers.delete(subscriber);
    subscriber.writer.close().catch(() => {});
    if (this.subscribers.size === 0 && this.heartbeat !== null) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  /**
   * `: ping` to idle subscribers; a failed write is how a vanished client is noticed. A stream is
   * checked every `tick` and pinged once it has been idle for `heartbeatMs - tick`, so no stream
   * goes longer than `heartbeatMs` without a frame, whenever its last write fell between ticks.
   */
  private ensureHeartbeat(): void {
    if (this.heartbeat !== null) return;
    const tick = Math.max(10, Math.floor(this.heartbeatMs / 4));
    const idleLimit = Math.max(0, this.heartbeatMs - tick);
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      for (const subscriber of this.subscribers) {
        if (now - subscriber.lastWrite >= idleLimit) this.write(subscriber, PING);
      }
    }, tick);
  }

  /** Ends every stream (the object is going away or the run was deleted). */
  closeAll(): void {
    for (const subscriber of [...this.subscribers]) this.close(subscriber);
  }
}
