/**
 * The scanning form of a text: what the rules read. Hidden characters removed (so `ig\u200Bnore`
 * reads `ignore`), compatibility forms folded (NFKC: fullwidth, mathematical and circled letters),
 * Latin diacritics stripped, Cyrillic and Greek look-alikes folded to Latin inside words that mix
 * scripts (a homoglyph attack mixes them; a Russian or Greek word does not), lower-cased.
 *
 * `map[i]` is the index in the original text of the scanning form's character `i`, so a match is
 * traced back to the sentence it came from. Pure and allocation-light: printable ASCII, the common
 * case, takes a fast path.
 */
import { findHidden } from "./unicode";

export interface ScanText {
  text: string;
  /** Original index per character of `text`; null when the two are aligned one to one. */
  map: number[] | null;
  /** Hidden characters removed, and how many of them sat inside a word (split it). */
  hidden: number;
  hiddenInWords: number;
}

/** Look-alikes of Latin letters (Cyrillic, Greek, a few Latin extensions), lower case. */
const CONFUSABLES: Record<string, string> = {
  а: "a", в: "b", е: "e", ё: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x",
  ѕ: "s", і: "i", ї: "i", ј: "j", ԁ: "d", ԛ: "q", ԝ: "w", ɡ: "g", ӏ: "l", һ: "h", ո: "n", ս: "u",
  α: "a", β: "b", ε: "e", η: "n", ι: "i", κ: "k", ν: "v", ο: "o", ρ: "p", τ: "t", υ: "u", χ: "x", γ: "y",
  ı: "i", ſ: "s", ℓ: "l",
};

const LATIN = /[a-z]/;
const WORD_CHAR = /[\p{L}\p{N}]/u;

export function toScanText(input: string): ScanText {
  if (/^[\x20-\x7e\t\n\r]*$/.test(input)) return { text: input.toLowerCase(), map: null, hidden: 0, hiddenInWords: 0 };
  const hidden = findHidden(input);
  const skip = new Set(hidden.map((h) => h.index));
  const chars: string[] = [];
  const map: number[] = [];
  let hiddenInWords = 0;
  let index = 0;
  // The last character kept: whether it is part of a word is only asked beside a hidden one.
  let prev = "";
  // Whether any folded character is a look-alike: only then can a word mix scripts.
  let lookalike = false;
  for (const ch of input) {
    if (skip.has(index)) {
      const prevWord = WORD_CHAR.test(prev);
      if (prevWord && WORD_CHAR.test(input.slice(index + ch.length, index + ch.length + 2))) hiddenInWords++;
      index += ch.length;
      continue;
    }
    const code = ch.codePointAt(0) ?? 0;
    let folded: string;
    if (code < 0x80) folded = ch.toLowerCase();
    else {
      folded = ch.normalize("NFKC").toLowerCase();
      if (/[\u0300-\u036f]/.test(folded.normalize("NFD"))) {
        const base = folded.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
        // Strip marks from Latin letters only (Cyrillic й keeps its breve, it is another letter).
        if (/^[a-z]+$/.test(base)) folded = base;
      }
      // Accents, Arabic harakat and Hebrew points change no word a rule looks for.
      if (/^[\u0300-\u036f\u064b-\u065f\u0670\u0591-\u05c7]$/.test(folded)) folded = "";
      else if (folded === "đ") folded = "d";
    }
    for (const out of folded) {
      chars.push(out);
      map.push(index);
      if (code >= 0x80 && CONFUSABLES[out] !== undefined) lookalike = true;
    }
    prev = ch;
    index += ch.length;
  }
  if (lookalike) foldMixedScriptWords(chars);
  return { text: chars.join(""), map, hidden: hidden.length, hiddenInWords };
}

/** In a word that holds both Latin letters and look-alikes, the look-alikes become Latin. */
function foldMixedScriptWords(chars: string[]): void {
  let start = 0;
  while (start < chars.length) {
    if (!/\p{L}/u.test(chars[start] ?? "")) {
      start++;
      continue;
    }
    let end = start;
    let latin = false;
    let confusable = false;
    while (end < chars.length && /[\p{L}\p{M}\d]/u.test(chars[end] ?? "")) {
      const c = chars[end] ?? "";
      if (LATIN.test(c)) latin = true;
      else if (CONFUSABLES[c]) confusable = true;
      end++;
    }
    if (latin && confusable) {
      for (let i = start; i < end; i++) {
        const c = chars[i] ?? "";
        const replacement = CONFUSABLES[c];
        if (replacement) chars[i] = replacement;
      }
    }
    start = end;
  }
}

/** The original index of a scanning-form index. */
export function originalIndex(scan: ScanText, index: number, originalLength: number): number {
  if (!scan.map) return Math.min(index, originalLength);
  if (index >= scan.map.length) return originalLength;
  return scan.map[index] ?? originalLength;
}
