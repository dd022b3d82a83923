/**
 * Markdown-aware chunking. A document is cut at its headings into sections; each section's blocks
 * (paragraphs, lists, fenced code) are packed into chunks of at most `maxChars` characters, and a
 * chunk that continues a section starts with the last `overlapChars` of the one before it.
 * Every chunk keeps its heading path ("Title > Section > Subsection") as context.
 *
 * Chunk ids are content hashes of (namespace, document id, heading path, text): re-chunking an
 * unchanged document yields the same ids, so re-ingesting it changes nothing, and editing one
 * section changes only the ids of that section's chunks. Pure and synchronous.
 */
import { sha256Hex } from "../hash-chain";

export interface ChunkingOptions {
  /** Upper bound on a chunk's `text` length in characters (a single longer word is cut). */
  maxChars: number;
  /** Characters of the previous chunk repeated at the start of the next one in the same section. */
  overlapChars: number;
}

export const DEFAULT_CHUNKING: ChunkingOptions = { maxChars: 1000, overlapChars: 150 };

export interface TextChunk {
  /** Position in the document, from 0. */
  ordinal: number;
  /** The headings above the chunk, outermost first. */
  heading_path: string[];
  text: string;
}

export interface IdentifiedChunk extends TextChunk {
  id: string;
}

interface Section {
  path: string[];
  blocks: string[];
}

const FENCE = /^[ \t]*(```|~~~)/;

const isBlank = (ch: string | undefined) => ch === " " || ch === "\t";

/**
 * An ATX heading line (`## Title ##`): its level and its title, untrimmed, or null. The same
 * language as `/^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$/` (a lazy title, then optional closing
 * hashes between blanks), written as index scans: that regular expression backtracks cubically on
 * a heading followed by a long run of blanks, and a line may be a megabyte long.
 */
export function atxHeading(line: string): { level: number; title: string } | null {
  let level = 0;
  while (level < line.length && line[level] === "#") level++;
  if (level < 1 || level > 6 || !isBlank(line[level])) return null;
  let start = level;
  while (isBlank(line[start])) start++;
  // `.` matches no line terminator.
  if (/[\n\r\u2028\u2029]/.test(line.slice(start))) return null;
  if (start === line.length) {
    // Blanks only: the title is the last blank, if at least two follow the hashes.
    return start - level >= 2 ? { level, title: line.slice(start - 1) } : null;
  }
  let end = line.length;
  while (end > start && isBlank(line[end - 1])) end--;
  while (end > start && line[end - 1] === "#") end--;
  while (end > start && isBlank(line[end - 1])) end--;
  // The title is at least one character.
  return { level, title: line.slice(start, Math.max(end, start + 1)) };
}

/** Splits markdown into sections at ATX headings, ignoring `#` lines inside fenced code. */
function sections(markdown: string): Section[] {
  const out: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let current: Section = { path: [], blocks: [] };
  let block: string[] = [];
  let fence: string | null = null;

  const endBlock = () => {
    const text = block.join("\n").trim();
    if (text.length > 0) current.blocks.push(text);
    block = [];
  };

  for (const line of markdown.replace(/\r\n?/g, "\n").split("\n")) {
    const fenceMatch = FENCE.exec(line);
    if (fence !== null) {
      block.push(line);
      if (fenceMatch !== null && fenceMatch[1] === fence) {
        fence = null;
        endBlock();
      }
      continue;
    }
    if (fenceMatch !== null) {
      endBlock();
      fence = fenceMatch[1] ?? "```";
      block.push(line);
      continue;
    }
    const heading = atxHeading(line);
    if (heading !== null) {
      endBlock();
      if (current.blocks.length > 0) out.push(current);
      const level = heading.level;
      while (stack.length > 0 && (stack[stack.length - 1]?.level ?? 0) >= level) stack.pop();
      stack.push({ level, title: heading.title.trim() });
      current = { path: stack.map((h) => h.title), blocks: [] };
      continue;
    }
    if (line.trim() === "") endBlock();
    else block.push(line);
  }
  endBlock();
  if (current.blocks.length > 0) out.push(current);
  return out;
}

/** Cuts text longer than `max` at sentence ends, then at spaces, then anywhere. */
function splitLong(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    const sentence = Math.max(window.lastIndexOf(". "), window.lastIndexOf("\n"));
    const space = window.lastIndexOf(" ");
    // Cut after a sentence, else at a space, else mid-word; `next` skips the separator only.
    let end = max;
    let next = max;
    if (sentence >= max / 3) {
      end = window[sentence] === "." ? sentence + 1 : sentence;
      next = sentence + 1;
    } else if (space >= max / 3) {
      end = space;
      next = space + 1;
    }
    pieces.push(rest.slice(0, end).trim());
    rest = rest.slice(next).trim();
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces.filter((p) => p.length > 0);
}

/** The last `overlap` characters of `text`, starting at a word boundary. */
function tail(text: string, overlap: number): string {
  if (overlap <= 0) return "";
  if (text.length <= overlap) return text;
  const start = text.indexOf(" ", text.length - overlap);
  return start < 0 ? "" : text.slice(start + 1);
}

/** Chunks a markdown document. Throws on options that cannot make progress. */
export function chunkMarkdown(markdown: string, options: ChunkingOptions = DEFAULT_CHUNKING): TextChunk[] {
  const { maxChars, overlapChars } = options;
  if (!(maxChars >= 50) || !(overlapChars >= 0) || overlapChars > maxChars / 2) {
    throw new RangeError("chunking needs maxChars >= 50 and 0 <= overlapChars <= maxChars / 2");
  }
  const chunks: TextChunk[] = [];
  for (const section of sections(markdown)) {
    // Pieces that each fit in a chunk, leaving room for the overlap carried into a chunk.
    const pieces = section.blocks.flatMap((b) => splitLong(b, maxChars - overlapChars));
    let text = "";
    let hasNew = false;
    const flush = () => {
      if (!hasNew) return;
      chunks.push({ ordinal: chunks.length, heading_path: section.path, text });
      text = tail(text, overlapChars);
      hasNew = false;
    };
    const append = (piece: string) => (text.length === 0 ? piece : `${text}\n\n${piece}`);
    for (const piece of pieces) {
      if (append(piece).length > maxChars) flush();
      // After a flush `text` is the overlap; if even that does not fit, the piece starts alone.
      const joined = append(piece);
      text = joined.length <= maxChars ? joined : piece;
      hasNew = true;
    }
    flush();
  }
  return chunks;
}

/**
 * Gives each chunk its content-hash id. Identical chunks within one document (same path and text)
 * are told apart by their occurrence number, so ids stay unique and stable.
 */
export function identifyChunks(namespace: string, documentId: string, chunks: TextChunk[]): IdentifiedChunk[] {
  const seen = new Map<string, number>();
  return chunks.map((chunk) => {
    const key = `${namespace}\u0000${documentId}\u0000${chunk.heading_path.join("\u0001")}\u0000${chunk.text}`;
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    const id = `ck_${sha256Hex(occurrence === 0 ? key : `${key}\u0000${occurrence}`).slice(0, 24)}`;
    return { ...chunk, id };
  });
}

/** The text an embedder or a lexical index sees: the heading path as context, then the chunk. */
export function contextualText(title: string, chunk: TextChunk): string {
  const path = chunk.heading_path[0] === title ? chunk.heading_path : [title, ...chunk.heading_path];
  const context = path.filter((p) => p.length > 0).join(" > ");
  return context.length > 0 ? `${context}\n\n${chunk.text}` : chunk.text;
}
