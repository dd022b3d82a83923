// One run's events, exactly once and in order, for as long as the page watches it.
//
// An EventSource carries them (replay, then live). It reconnects by itself after a dropped
// connection and sends Last-Event-ID, so the server resumes after the last seq it saw; whatever
// still arrives twice is dropped by seq. A hole in seq (a type this page does not listen for, or a
// reconnect that raced) is filled from the JSON pages before anything after it is delivered. When
// the browser gives up (a non-200 answer: an expired token, a restart that answered 5xx), the page
// asks the JSON page what is wrong, catches up from it and opens a new stream. At the terminal
// event the EventSource is closed (nothing polls an ended run) and the events that may follow the
// end (feedback) are read once from the JSON pages.
//
// With a key configured the stream is opened with a stream token (an EventSource cannot send a
// header); in dev mode it needs none.

import { ApiError } from "./api.js";
import { EVENT_TYPES, TERMINAL } from "./event-types.js";

const PAGE = 1000;

export class RunStream {
  /**
   * @param {{api: import("./api.js").Api, runId: string, token?: string,
   *          onEvents: (events: object[]) => void, onState: (state: string, detail?: string) => void}} options
   */
  constructor({ api, runId, token, onEvents, onState }) {
    this.api = api;
    this.runId = runId;
    this.token = token ?? null;
    this.onEvents = onEvents;
    this.onState = onState;
    this.lastSeq = 0;
    this.ended = false;
    this.closed = false;
    this.source = null;
    this.buffer = [];
    this.filling = false;
    this.failures = 0;
    this.retryTimer = null;
    this.onMessage = (message) => this.receive(message);
  }

  start() {
    this.onState("connecting");
    void this.open();
  }

  stop() {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.closeSource();
  }

  /** Fetches whatever was appended after the end (feedback), once, without opening a stream. */
  async catchUp() {
    await this.fetchPages();
    this.drain();
  }

  async open() {
    if (this.closed || this.ended) return;
    try {
      if (this.api.hasKey && this.token === null) this.token = (await this.api.streamToken(this.runId)).token;
    } catch (error) {
      this.fail(error);
      return;
    }
    const params = new URLSearchParams();
    if (this.lastSeq > 0) params.set("after", String(this.lastSeq));
    if (this.token !== null) params.set("access_token", this.token);
    const query = params.toString();
    const source = new EventSource(this.api.url(`/runs/${encodeURIComponent(this.runId)}/events${query ? `?${query}` : ""}`));
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.onState("live");
    };
    source.onerror = () => {
      if (this.source !== source || this.closed) return;
      if (source.readyState === EventSource.CLOSED) {
        this.closeSource();
        void this.recover();
      } else {
        this.onState("reconnecting");
      }
    };
    source.onmessage = this.onMessage;
    for (const type of EVENT_TYPES) source.addEventListener(type, this.onMessage);
  }

  closeSource() {
    if (this.source === null) return;
    this.source.onopen = null;
    this.source.onerror = null;
    this.source.close();
    this.source = null;
  }

  receive(message) {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    if (typeof event?.seq !== "number") return;
    this.buffer.push(event);
    this.drain();
  }

  /** Delivers the buffered events that extend the log without a hole; fills a hole first. */
  drain() {
    if (this.filling) return;
    this.buffer.sort((a, b) => a.seq - b.seq);
    const ready = [];
    while (this.buffer.length > 0) {
      const next = this.buffer[0];
      if (next.seq <= this.lastSeq) {
        this.buffer.shift();
        continue;
      }
      if (next.seq !== this.lastSeq + 1) break;
      this.buffer.shift();
      this.lastSeq = next.seq;
      ready.push(next);
      if (TERMINAL.has(next.type)) this.ended = true;
    }
    if (ready.length > 0) this.onEvents(ready);
    if (this.ended && this.source !== null) {
      this.closeSource();
      void this.afterEnd();
    }
    if (this.buffer.length > 0) void this.fill();
  }

  /** Events may follow the terminal one (feedback): read them from the JSON pages, once. */
  async afterEnd() {
    try {
      await this.catchUp();
    } catch {
      // The stream is complete up to the end; later events show on the next open.
    }
    if (!this.closed) this.onState("ended");
  }

  async fill() {
    this.filling = true;
    try {
      await this.fetchPages(this.buffer[0]?.seq);
    } catch (error) {
      this.filling = false;
      this.retryTimer = setTimeout(() => this.drain(), 1000);
      this.onState("reconnecting", error.message);
      return;
    }
    this.filling = false;
    if (!this.buffer.some((e) => e.seq === this.lastSeq + 1)) {
      // The pages did not reach the hole yet (they lag the stream by a moment): try again shortly.
      this.retryTimer = setTimeout(() => this.drain(), 250);
      return;
    }
    this.drain();
  }

  /** Reads JSON pages after lastSeq into the buffer, up to `until` (exclusive) or the end. */
  async fetchPages(until = Infinity) {
    for (let after = this.lastSeq; after + 1 < until; ) {
      const params = new URLSearchParams({ format: "json", after: String(after), limit: String(PAGE) });
      if (this.token !== null) params.set("access_token", this.token);
      const page = await this.api.get(`/runs/${encodeURIComponent(this.runId)}/events?${params}`);
      this.buffer.push(...page.events);
      if (page.events.length < PAGE || page.next_after <= after) return page;
      after = page.next_after;
    }
    return null;
  }

  /** The browser gave up on the stream: find out why from the JSON page, catch up, and reopen. */
  async recover() {
    if (this.closed || this.ended) return;
    try {
      await this.fetchPages();
      this.drain();
      if (this.ended) {
        this.onState("ended");
        return;
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && this.token !== null) {
        this.token = null; // expired: the next open asks for a fresh one
      } else if (error instanceof ApiError && [401, 403, 404].includes(error.status)) {
        this.fail(error);
        return;
      }
    }
    this.reopenLater();
  }

  reopenLater() {
    this.failures += 1;
    const delay = Math.min(8000, 500 * 2 ** Math.min(this.failures - 1, 4));
    this.onState("reconnecting", `retrying in ${Math.round(delay / 100) / 10} s`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }

  fail(error) {
    if (error instanceof ApiError && error.status !== 0 && error.status < 500) {
      this.onState("error", `${error.code}: ${error.message}`);
      return;
    }
    this.reopenLater();
  }
}
