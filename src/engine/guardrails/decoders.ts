/**
 * Views of a text that an attacker may have encoded: base64, hex, binary and Morse runs, sentences
 * in a Caesar shift, percent-encoding, HTML and `\u` escapes, text hidden in Unicode tag
 * characters (decoded from the original text), and the whole scanning form read as leetspeak, with
 * spaced-out letters joined, as rot13 and reversed. The detector runs its rules again over each
 * view; a view exists only when its text differs from what was already scanned and looks like
 * language, so ordinary texts cost one cheap test per view.
 */
import { decodeTagText, findHidden } from "./unicode";

export type ViewName =
  | "base64"
  | "hex"
  | "binary"
  | "morse"
  | "caesar"
  | "url"
  | "entities"
  | "escapes"
  | "tags"
  | "bidi"
  | "leetspeak"
  | "spaced"
  | "rot13"
  | "reversed";

export interface DecodedView {
  view: ViewName;
  text: string;
  /** Where in the original text the encoded run lies (whole text for whole-text views). */
  start: number;
  end: number;
}

/** Decoded payloads found in the original text (case matters for base64, so not the scanning form). */
export function decodePayloads(original: string): DecodedView[] {
  const views: DecodedView[] = [];
  if (original.length >= 16 && /[A-Za-z0-9+/_-]{16}/.test(original)) {
    for (const m of original.matchAll(/(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
      const run = m[0];
      // A run of one case and no digits is a word or an identifier, not base64.
      if (!/[A-Z]/.test(run) || !/[a-z]/.test(run)) continue;
      const text = fromBase64(run);
      if (text && looksLikeLanguage(text)) views.push({ view: "base64", text, start: m.index ?? 0, end: (m.index ?? 0) + run.length });
    }
  }
  if (/[0-9a-fA-F]{2}[\s:,-]?[0-9a-fA-F]{2}/.test(original)) {
    for (const m of original.matchAll(/(?:\\x[0-9a-fA-F]{2}){6,}|(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}[\s:,-]?){10,}/g)) {
      const hex = m[0].replace(/\\x|[\s:,-]/g, "");
      if (hex.length % 2 !== 0 || /^\d+$/.test(hex)) continue;
      const text = bytesToText(hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
      if (text && looksLikeLanguage(text)) views.push({ view: "hex", text, start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
    }
  }
  // Bytes written as eight binary digits: 01001001 01100111 ...
  if (/[01]{8}\s?[01]{8}/.test(original)) {
    for (const m of original.matchAll(/(?<![01])(?:[01]{8}[\s,]?){6,}/g)) {
      const text = bytesToText((m[0].match(/[01]{8}/g) ?? []).map((b) => parseInt(b, 2)));
      if (text && looksLikeLanguage(text)) views.push({ view: "binary", text, start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
    }
  }
  // Morse code: letters of dots and dashes, words split by " / ".
  if (/[.-]{1,6} [.-]{1,6} [.-]{1,6}/.test(original)) {
    for (const m of original.matchAll(/(?:[.\-]{1,6}(?: \/ | |$)){6,}/g)) {
      const text = m[0]
        .trim()
        .split(/ \/ /)
        .map((word) => word.split(" ").map((code) => MORSE[code] ?? "").join(""))
        .join(" ");
      if (looksLikeLanguage(text)) views.push({ view: "morse", text, start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
    }
  }
  views.push(...caesarViews(original));
  if (/%[0-9a-fA-F]{2}/.test(original)) {
    for (const m of original.matchAll(/(?:[^\s%]*%[0-9a-fA-F]{2}){4,}[^\s%]*/g)) {
      try {
        const text = decodeURIComponent(m[0]);
        if (looksLikeLanguage(text)) views.push({ view: "url", text, start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
      } catch {
        // Not valid percent-encoding: nothing hidden in it.
      }
    }
  }
  if (/&#x?[0-9a-fA-F]+;/.test(original)) {
    const text = original.replace(/&#(x?)([0-9a-fA-F]+);/g, (_, hex: string, digits: string) => safeChar(parseInt(digits, hex ? 16 : 10)));
    views.push({ view: "entities", text, start: 0, end: original.length });
  }
  if (/\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\}/.test(original)) {
    const text = original.replace(/\\u\{([0-9a-fA-F]+)\}|\\u([0-9a-fA-F]{4})/g, (_, braced: string | undefined, four: string | undefined) =>
      safeChar(parseInt(braced ?? four ?? "0", 16)),
    );
    views.push({ view: "escapes", text, start: 0, end: original.length });
  }
  // Text under a right-to-left override displays reversed: read it the way a person sees it.
  if (original.includes("\u202e")) {
    for (const m of original.matchAll(/\u202e([^\u202c\u2069\n]*)/g)) {
      const text = Array.from(m[1] ?? "").reverse().join("");
      if (looksLikeLanguage(text)) views.push({ view: "bidi", text, start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
    }
  }
  const hidden = findHidden(original);
  if (hidden.some((h) => h.kind === "tag")) {
    const text = decodeTagText(original, hidden);
    if (text.trim().length > 0) views.push({ view: "tags", text, start: 0, end: original.length });
  }
  return views;
}

/** Whole-text views of the scanning form, each only when the text shows a sign of that encoding. */
export function transformViews(scan: string, rot13Hint: RegExp, reversedHint: RegExp): DecodedView[] {
  const views: DecodedView[] = [];
  const whole = (view: ViewName, text: string) => views.push({ view, text, start: 0, end: scan.length });
  // Leetspeak: a digit or symbol standing for a letter inside a word (1gn0r3, @dm1n, pr3v!ous).
  if (/[a-z][0-9@$!|][a-z]|(?<![a-z0-9])[0-9@$][a-z]{2}|[a-z]{2}[0-9@$!](?![0-9a-z])/.test(scan)) {
    const leet = scan.replace(/[a-z0-9@$!|]+/g, (word) => (/[a-z]/.test(word) && /[0-9@$!|]/.test(word) ? unleet(word) : word));
    if (leet !== scan) whole("leetspeak", leet);
  }
  // Letters spaced out or dotted: i g n o r e, i.g.n.o.r.e, i-g-n-o-r-e.
  // Separators inside a word are joined; a wider gap (two spaces or more) stays one space.
  if (/(?<![a-z])[a-z](?:[ .\-_*·][a-z]){2,}(?![a-z])/.test(scan)) {
    const joined = scan
      .replace(/(?<![a-z])[a-z](?:[.\-_*·][a-z]){2,}(?![a-z])/g, (run) => run.replace(/[.\-_*·]/g, ""))
      .replace(/(?<![a-z])[a-z](?: [a-z]){2,}(?![a-z])/g, (run) => run.replace(/ /g, ""))
      .replace(/ {2,}/g, " ");
    if (joined !== scan) whole("spaced", joined);
  }
  if (rot13Hint.test(scan)) whole("rot13", rot13(scan));
  if (reversedHint.test(scan)) whole("reversed", Array.from(scan).reverse().join(""));
  return views;
}

const MORSE: Record<string, string> = {
  ".-": "a", "-...": "b", "-.-.": "c", "-..": "d", ".": "e", "..-.": "f", "--.": "g", "....": "h", "..": "i", ".---": "j", "-.-": "k", ".-..": "l", "--": "m",
  "-.": "n", "---": "o", ".--.": "p", "--.-": "q", ".-.": "r", "...": "s", "-": "t", "..-": "u", "...-": "v", ".--": "w", "-..-": "x", "-.--": "y", "--..": "z",
  "-----": "0", ".----": "1", "..---": "2", "...--": "3", "....-": "4", ".....": "5", "-....": "6", "--...": "7", "---..": "8", "----.": "9",
};

/**
 * The commonest English words, and those the rules look for (as the rot13 hint has them): a
 * shifted sentence that gains several of them was shifted on purpose.
 */
const COMMON = new Set(
  "the and of to is in you that it for are be this with on not or your as all at by an was ignore previous instructions system prompt reveal forget rules".split(" "),
);

/**
 * Sentences written in a Caesar shift (any shift but 13, which rot13 covers): a sentence of at least
 * five words with no common English word, which some shift turns into one with three or more.
 */
function caesarViews(original: string): DecodedView[] {
  const views: DecodedView[] = [];
  if (original.length < 26) return views;
  const lower = original.toLowerCase();
  let from = 0;
  for (let i = 0; i <= lower.length; i++) {
    const ch = lower[i];
    if (i < lower.length && ch !== "." && ch !== "!" && ch !== "?" && ch !== "\n") continue;
    if (i - from >= 26) {
      const sentence = lower.slice(from, i);
      const words = sentence.split(/[^a-z]+/).filter((w) => w.length > 0);
      // The common case, an ordinary sentence, ends here: it has a common word.
      if (words.length >= 5 && !words.some((w) => COMMON.has(w)) && /^[a-z\s,;:'"-]+$/.test(sentence.trim())) {
        let best = { shift: 0, common: 0 };
        for (let shift = 1; shift < 26; shift++) {
          if (shift === 13) continue;
          let common = 0;
          for (const w of words) if (COMMON.has(shiftWord(w, shift))) common++;
          if (common > best.common) best = { shift, common };
        }
        if (best.common >= 3) views.push({ view: "caesar", text: shiftWord(sentence, best.shift), start: from, end: i });
      }
    }
    from = i + 1;
  }
  return views;
}

function shiftWord(text: string, shift: number): string {
  return text.replace(/[a-z]/g, (ch) => String.fromCharCode(((ch.charCodeAt(0) - 97 + shift) % 26) + 97));
}

const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", $: "s", "!": "i", "|": "l" };

function unleet(word: string): string {
  return word.replace(/[0-9@$!|]/g, (ch) => LEET[ch] ?? ch);
}

export function rot13(text: string): string {
  return text.replace(/[a-z]/gi, (ch) => {
    const base = ch <= "Z" ? 65 : 97;
    return String.fromCharCode(((ch.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function fromBase64(run: string): string | null {
  let b64 = run.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (b64.length % 4 === 1) return null;
  b64 += "=".repeat((4 - (b64.length % 4)) % 4);
  try {
    const binary = atob(b64);
    const bytes = new Array<number>(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytesToText(bytes);
  } catch {
    return null;
  }
}

function bytesToText(bytes: number[]): string | null {
  if (bytes.length < 6) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(new Uint8Array(bytes));
  } catch {
    return null;
  }
}

function safeChar(code: number): string {
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "";
}

/** Mostly letters and spaces, with at least two words: decoded text worth scanning. */
function looksLikeLanguage(text: string): boolean {
  if (text.length < 6) return false;
  let printable = 0;
  let letters = 0;
  for (const ch of text) {
    if (/[\p{L}\p{N}\p{P}\p{Zs}\n\t]/u.test(ch)) printable++;
    if (/\p{L}/u.test(ch)) letters++;
  }
  const length = Array.from(text).length;
  return printable / length >= 0.9 && letters / length >= 0.5 && /\p{L}{2,}[\s\p{P}]+\p{L}{2,}/u.test(text);
}
