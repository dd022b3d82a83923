/**
 * How an answer is cut into `output.chunk` events: a readable size, and line ends kept as
 * boundaries. The respond step applies it to a live model's deltas (also flushing after a pause);
 * the offline model cuts its own answer with it, so its chunks depend on nothing but the text.
 */

/** A chunk is flushed once it holds this many characters. */
export const CHUNK_CHARS = 48;

/** Whether the text buffered so far should go out as a chunk, given the delta that just arrived. */
export function chunkIsDue(buffered: string, delta: string): boolean {
  return buffered.length >= CHUNK_CHARS || delta.includes("\n");
}

/** `text` cut into chunks as a stream of its words would be, with no pauses. */
export function chunkText(text: string): string[] {
  const chunks: string[] = [];
  let buffer = "";
  for (const piece of text.match(/\S+\s*|\s+/g) ?? []) {
    buffer += piece;
    if (chunkIsDue(buffer, piece)) {
      chunks.push(buffer);
      buffer = "";
    }
  }
  if (buffer !== "") chunks.push(buffer);
  return chunks;
}
