/** Reads an SSE response the way a client would: frames split on blank lines, comments kept apart. */

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

export function parseFrames(text: string): SseFrame[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const frame: SseFrame = {};
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) frame.comment = line.slice(1).trim();
        else {
          const colon = line.indexOf(":");
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, "");
          if (field === "id" || field === "event" || field === "data" || field === "retry") frame[field] = value;
        }
      }
      return frame;
    });
}

/**
 * Reads frames until the stream ends, `stop` says so, or `timeoutMs` passes (then it cancels the
 * stream). Returns the frames and whether the server ended the stream.
 */
export async function readSse(
  response: Response,
  options: { stop?: (frames: SseFrame[]) => boolean; timeoutMs?: number } = {},
): Promise<{ frames: SseFrame[]; ended: boolean }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let ended = false;
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), remaining)),
    ]);
    if (chunk === "timeout") break;
    if (chunk.done) {
      ended = true;
      break;
    }
    text += decoder.decode(chunk.value, { stream: true });
    if (options.stop?.(parseFrames(text.slice(0, text.lastIndexOf("\n\n") + 2)))) break;
  }
  if (!ended) await reader.cancel().catch(() => {});
  return { frames: parseFrames(text.slice(0, text.lastIndexOf("\n\n") + 2)), ended };
}

/** The event frames (not comments), with their data parsed. */
export function eventFrames(frames: SseFrame[]): { id: number; event: string; data: Record<string, unknown> }[] {
  return frames
    .filter((f) => f.data !== undefined)
    .map((f) => ({ id: Number(f.id), event: f.event ?? "", data: JSON.parse(f.data ?? "{}") as Record<string, unknown> }));
}
