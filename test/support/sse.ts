/** Reads server-sent events from a streaming response, for tests. */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";
  ended = false;

  constructor(response: Response) {
    if (response.body === null) throw new Error("no body");
    this.reader = response.body.getReader();
  }

  /** The next message (comments included), or null when the stream ends or `timeoutMs` passes. */
  async next(timeoutMs = 5000): Promise<SseMessage | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cut = this.buffer.indexOf("\n\n");
      if (cut >= 0) {
        const block = this.buffer.slice(0, cut);
        this.buffer = this.buffer.slice(cut + 2);
        const message: SseMessage = {};
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) message.comment = line.slice(1).trim();
          else {
            const at = line.indexOf(":");
            const field = line.slice(0, at);
            const value = line.slice(at + 1).replace(/^ /, "");
            if (field === "id" || field === "event" || field === "data") message[field] = value;
          }
        }
        return message;
      }
      if (this.ended) return null;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return null;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), remaining);
      });
      const chunk = await Promise.race([this.reader.read(), timeout]);
      clearTimeout(timer);
      if (chunk === null) return null;
      if (chunk.done) this.ended = true;
      else this.buffer += this.decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The next `n` event messages (pings skipped). */
  async events(n: number, timeoutMs = 5000): Promise<SseMessage[]> {
    const out: SseMessage[] = [];
    while (out.length < n) {
      const message = await this.next(timeoutMs);
      if (message === null) break;
      if (message.event !== undefined) out.push(message);
    }
    return out;
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}
