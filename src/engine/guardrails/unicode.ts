/**
 * Characters a reader cannot see: control characters, invisible format characters (zero-width,
 * word joiner, soft hyphen, Hangul fillers, Unicode tag characters, variation-selector runs) and bidi
 * controls (embeddings, overrides, isolates). Pure functions over strings: classify them, strip them
 * for a person-facing text, decode "ASCII smuggled" in tag characters, and render a string with every
 * such character made visible (`\u202E`).
 *
 * What stays: tab, newline and carriage return; bidi marks (LRM, RLM, ALM) except inside a Latin
 * word, and ZWJ/ZWNJ where a script needs them (between emoji, Arabic, Persian or Indic letters), so
 * Hebrew, Arabic and emoji text keep their shape. A joiner beside an ASCII letter has no job there.
 */

export type HiddenKind = "control" | "invisible" | "bidi" | "tag";

export interface HiddenChar {
  index: number;
  codePoint: number;
  kind: HiddenKind;
}

const BIDI_CONTROLS = new Set([0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);
const BIDI_MARKS = new Set([0x200e, 0x200f, 0x061c]);
const INVISIBLE = new Set([0x200b, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xfeff, 0x180e, 0x00ad, 0x034f, 0x115f, 0x1160, 0x3164, 0xffa0, 0x17b4, 0x17b5]);
const JOINERS = new Set([0x200c, 0x200d]);

function isAsciiPrintable(cp: number | undefined): boolean {
  return cp !== undefined && cp >= 0x20 && cp < 0x7f;
}

function isAsciiWord(cp: number | undefined): boolean {
  return cp !== undefined && ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a));
}

function isControl(cp: number): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  return cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029;
}

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/**
 * The hidden characters of `text`, by UTF-16 index. A context-dependent character (a joiner, a bidi
 * mark, a variation selector) counts only where it cannot be doing its ordinary job.
 */
export function findHidden(text: string): HiddenChar[] {
  const found: HiddenChar[] = [];
  // Fast path: printable ASCII with ordinary whitespace has nothing to find.
  if (/^[\x20-\x7e\t\n\r]*$/.test(text)) return found;
  const cps = Array.from(text, (ch) => ch.codePointAt(0) ?? 0);
  let index = 0;
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i] ?? 0;
    const prev = cps[i - 1];
    const next = cps[i + 1];
    let kind: HiddenKind | null = null;
    if (isControl(cp)) kind = "control";
    else if (BIDI_CONTROLS.has(cp)) kind = "bidi";
    else if (cp >= 0xe0000 && cp <= 0xe007f) kind = isFlagTag(cps, i) ? null : "tag";
    else if (INVISIBLE.has(cp)) kind = "invisible";
    else if (BIDI_MARKS.has(cp)) {
      // A mark beside punctuation or a space orders right-to-left text; inside a Latin word it hides.
      if (isAsciiWord(prev) && isAsciiWord(next)) kind = "bidi";
    } else if (JOINERS.has(cp)) {
      if (isAsciiWord(prev) || isAsciiWord(next) || prev === undefined || next === undefined) kind = "invisible";
    } else if (isVariationSelector(cp)) {
      // One selector after a symbol picks its presentation; a run of them carries hidden bytes.
      if ((prev !== undefined && isVariationSelector(prev)) || (next !== undefined && isVariationSelector(next)) || isAsciiPrintable(prev)) {
        kind = "invisible";
      }
    }
    if (kind) found.push({ index, codePoint: cp, kind });
    index += cp > 0xffff ? 2 : 1;
  }
  return found;
}

/** Tag characters are legitimate inside an emoji flag sequence (U+1F3F4, tags, U+E007F). */
function isFlagTag(cps: number[], i: number): boolean {
  let start = i;
  while (start > 0 && (cps[start - 1] ?? 0) >= 0xe0020 && (cps[start - 1] ?? 0) <= 0xe007f) start--;
  if (cps[start - 1] !== 0x1f3f4) return false;
  let end = i;
  while ((cps[end] ?? 0) >= 0xe0020 && (cps[end] ?? 0) < 0xe007f) end++;
  return cps[end] === 0xe007f && end - start <= 8;
}

/** `text` without its hidden characters. */
export function stripHidden(text: string, hidden: HiddenChar[] = findHidden(text)): string {
  if (hidden.length === 0) return text;
  let out = "";
  let last = 0;
  for (const h of hidden) {
    out += text.slice(last, h.index);
    // A control that separated words (a vertical tab, a line separator) must not glue them.
    if (h.kind === "control" && (h.codePoint === 0x0b || h.codePoint === 0x0c || h.codePoint >= 0x2028)) out += " ";
    last = h.index + (h.codePoint > 0xffff ? 2 : 1);
  }
  return out + text.slice(last);
}

/** ASCII text hidden in tag characters (U+E0020..U+E007E map to ASCII 0x20..0x7E). */
export function decodeTagText(text: string, hidden: HiddenChar[] = findHidden(text)): string {
  let out = "";
  for (const h of hidden) {
    if (h.kind === "tag" && h.codePoint >= 0xe0020 && h.codePoint <= 0xe007e) out += String.fromCharCode(h.codePoint - 0xe0000);
  }
  return out;
}

/** Counts by kind, for reasons and warnings. */
export function countHidden(hidden: HiddenChar[]): Record<HiddenKind, number> {
  const counts: Record<HiddenKind, number> = { control: 0, invisible: 0, bidi: 0, tag: 0 };
  for (const h of hidden) counts[h.kind]++;
  return counts;
}

/**
 * `text` with each hidden character written as an escape (`\u202E`, `\u{E0041}`), and backslashes
 * doubled so an escape that was typed cannot pass for one that was rendered.
 */
export function escapeHidden(text: string): string {
  const hidden = findHidden(text);
  const marks = new Set(hidden.map((h) => h.index));
  let out = "";
  let index = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (marks.has(index)) out += cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).toUpperCase().padStart(4, "0")}`;
    else if (ch === "\\") out += "\\\\";
    else out += ch;
    index += ch.length;
  }
  return out;
}
