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

/**
 * `text` cut into chunks as a stream of its words would be, with no pauses. A chunk never ends inside
 * a markdown link or image, a private key block or a number that goes on in the next word: the
 * output guard lets each chunk of a chunked model out whole, so it must be able to judge such a
 * construct in one chunk.
 */
export function chunkText(text: string): string[] {
  const chunks: string[] = [];
  let buffer = "";
  const pieces = text.match(/\S+\s*|\s+/g) ?? [];
  pieces.forEach((piece, i) => {
    buffer += piece;
    if (chunkIsDue(buffer, piece) && !continues(buffer, pieces[i + 1] ?? "")) {
      chunks.push(buffer);
      buffer = "";
    }
  });
  if (buffer !== "") chunks.push(buffer);
  return chunks;
}

/** Whether `buffer` ends inside a construct that `next` continues. */
function continues(buffer: string, next: string): boolean {
  if (next === "") return false;
  const open = buffer.lastIndexOf("[");
  if (open > buffer.lastIndexOf("]") && !buffer.slice(open).includes("\n")) return true;
  const target = buffer.lastIndexOf("](");
  if (target >= 0 && buffer.indexOf(")", target) < 0) return true;
  const begin = buffer.lastIndexOf("-----BEGIN");
  if (begin >= 0 && !buffer.slice(begin).includes("-----END")) return true;
  return /\d[\s().-]*$/.test(buffer) && /^[\d(+]/.test(next);
}
