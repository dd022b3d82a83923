/**
 * Leakage of protected texts (the system prompts): word shingles of each protected text, and the
 * runs of an answer whose every word lies in a shingle that a protected text also has. Words are
 * compared in the scanning form (case, accents, hidden characters and punctuation do not matter),
 * so a leak that re-cases or re-punctuates the prompt is still found; a run shorter than one
 * shingle is ordinary language and never counts.
 */
import { toScanText } from "./normalise";

export interface Token {
  word: string;
  start: number;
  end: number;
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

export function tokenize(text: string): Token[] {
  const scan = toScanText(text);
  const tokens: Token[] = [];
  WORD.lastIndex = 0;
  for (let m = WORD.exec(scan.text); m; m = WORD.exec(scan.text)) {
    const start = scan.map ? (scan.map[m.index] ?? text.length) : m.index;
    const last = m.index + m[0].length - 1;
    const end = scan.map ? (scan.map[last] ?? text.length - 1) + 1 : last + 1;
    tokens.push({ word: m[0].replace(/’/g, "'"), start, end });
  }
  return tokens;
}

export class ProtectedTexts {
  readonly shingle: number;
  private readonly keys = new Set<string>();
  /** Every run of fewer words than a shingle in a protected text: what a stream may still grow into a leak. */
  private readonly grams = new Set<string>();
  /** Shingle lengths in use: the standard one, and the word counts of shorter protected texts. */
  private readonly lengths = new Set<number>();
  /** How many distinct shingles the protected texts hold (for coverage). */
  readonly size: number;

  constructor(texts: readonly string[], shingle = 6) {
    this.shingle = shingle;
    for (const text of texts) {
      const words = tokenize(text).map((t) => t.word);
      // A protected text shorter than a shingle is protected whole (if it is more than two words).
      const k = Math.min(shingle, words.length);
      if (k < 3) continue;
      this.lengths.add(k);
      for (let i = 0; i + k <= words.length; i++) this.keys.add(key(words, i, k, shingle));
      for (let j = 1; j < k; j++) for (let i = 0; i + j <= words.length; i++) this.grams.add(words.slice(i, i + j).join(" "));
    }
    this.size = this.keys.size;
  }

  /**
   * The same protected texts are guarded run after run (a deployment has a few system prompts):
   * their shingles are built once and kept, a handful at a time.
   */
  static of(texts: readonly string[], shingle = 6): ProtectedTexts {
    const key = `${shingle}\u0000${texts.join("\u0001")}`;
    let found = CACHE.get(key);
    if (found === undefined) {
      found = new ProtectedTexts(texts, shingle);
      if (CACHE.size >= 16) CACHE.delete(CACHE.keys().next().value as string);
      CACHE.set(key, found);
    }
    return found;
  }

  get empty(): boolean {
    return this.keys.size === 0;
  }

  /**
   * Where the trailing words of `tokens` could still grow into a run of a protected text: the index
   * of the first of the longest such tail (fewer words than a shingle), or `tokens.length` when the
   * last word is in no protected text. A stream holds those words back; ordinary words go out.
   */
  growing(tokens: readonly Token[]): number {
    for (let j = Math.min(this.shingle - 1, tokens.length); j >= 1; j--) {
      const tail = tokens
        .slice(tokens.length - j)
        .map((t) => t.word)
        .join(" ");
      if (this.grams.has(tail)) return tokens.length - j;
    }
    return tokens.length;
  }

  /** Spans of `text` (merged, in order) that repeat a protected text, and how many shingles matched. */
  leaks(text: string, tokens: Token[] = tokenize(text)): { spans: Array<{ start: number; end: number }>; shingles: number } {
    const spans: Array<{ start: number; end: number }> = [];
    if (this.empty) return { spans, shingles: 0 };
    const words = tokens.map((t) => t.word);
    const hit = new Array<boolean>(tokens.length).fill(false);
    let shingles = 0;
    for (const k of this.lengths) {
      for (let i = 0; i + k <= words.length; i++) {
        if (this.keys.has(key(words, i, k, this.shingle))) {
          shingles++;
          for (let j = i; j < i + k; j++) hit[j] = true;
        }
      }
    }
    for (let i = 0; i < tokens.length; i++) {
      if (!hit[i]) continue;
      let j = i;
      while (j + 1 < tokens.length && hit[j + 1]) j++;
      spans.push({ start: tokens[i]!.start, end: tokens[j]!.end });
      i = j;
    }
    return { spans, shingles };
  }
}

const CACHE = new Map<string, ProtectedTexts>();

function key(words: readonly string[], i: number, k: number, shingle: number): string {
  // Shingles of a short protected text carry their length, so they only match a run as long.
  return (k < shingle ? `${k}:` : "") + words.slice(i, i + k).join(" ");
}
