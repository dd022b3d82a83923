/**
 * Live SSE subscribers of one event log, held in the memory of the object that owns the log
 * (CONTRACT.md "SSE wire format"). Replay and live join without a gap or a duplicate because
 * `open` reads the replay and registers the subscriber in one synchronous block, and the owner
 * calls `publish` only after its append has committed: nothing can be appended in between.
 * Writes are never awaited (nothing reads before the Response is returned); a write that fails
 * drops the subscriber, and the `: ping` heartbeat is what finds the ones that went away.
 */

export interface StreamRow {
  seq: number;
  type: string;
  /** The envelope as stored, one line of JSON. */
  json: string;
}

interface Subscriber {
  writer: WritableStreamDefaultWriter<Uint8Array>;
  last: number;
}

export const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "content-encoding": "identity",
} as const;

const REPLAY_PAGE = 500;
const encoder = new TextEncoder();

export function sseMessage(row: StreamRow): string {
  return `id: ${row.seq}\nevent: ${row.type}\ndata: ${row.json}\n\n`;
}

export class EventStreamHub {
  private readonly subscribers = new Set<Subscriber>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly pingMs: number) {}

  /**
   * A streaming response: the events after `after` (read page by page through `read`), then, if
   * `follow`, every event published later. Without `follow` the stream ends after the replay.
   */
  open(after: number, follow: boolean, read: (after: number, limit: number) => StreamRow[]): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const subscriber: Subscriber = { writer: writable.getWriter(), last: after };
    for (let page = read(after, REPLAY_PAGE); page.length > 0; page = read(subscriber.last, REPLAY_PAGE)) {
      for (const row of page) this.send(subscriber, row);
    }
    if (follow) {
      this.subscribers.add(subscriber);
      this.startHeartbeat();
    } else {
      subscriber.writer.close().catch(() => {});
    }
    return new Response(readable, { headers: SSE_HEADERS });
  }

  /** Sends committed rows to every live subscriber that has not had them. */
  publish(rows: StreamRow[]): void {
    for (const subscriber of this.subscribers) for (const row of rows) if (row.seq > subscriber.last) this.send(subscriber, row);
  }

  get size(): number {
    return this.subscribers.size;
  }

  private send(subscriber: Subscriber, row: StreamRow): void {
    subscriber.last = row.seq;
    this.write(subscriber, sseMessage(row));
  }

  private write(subscriber: Subscriber, text: string): void {
    subscriber.writer.write(encoder.encode(text)).catch(() => this.drop(subscriber));
  }

  private drop(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    subscriber.writer.close().catch(() => {});
    if (this.subscribers.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private startHeartbeat(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => {
      for (const subscriber of this.subscribers) this.write(subscriber, ": ping\n\n");
    }, this.pingMs);
  }
}
