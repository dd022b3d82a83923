/**
 * A claim: one checkable fact of a text (a number, a date, a name, a quoted term, a link, a clock
 * time or version), as written and in normal forms, so "1,000" and "1 thousand" compare equal.
 * The shared text helpers of the claims modules live here too.
 */

export type ClaimKind = "number" | "date" | "name" | "quoted" | "link" | "term";

export interface Claim {
  kind: ClaimKind;
  /** As written in the text. */
  text: string;
  /** Normal forms; the claim is supported when any of them is found in the evidence. */
  keys: string[];
}

/** Replaces a match with spaces, so positions and sentence boundaries stay where they were. */
export const blank = (text: string): string => text.replace(/[^\n]/g, " ");

export function normaliseText(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[’‘]/g, "'")
    .replace(/[“”«»]/g, '"')
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}

export function normaliseWord(word: string): string {
  return word
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’]s$/, "")
    .replace(/['’]/g, "");
}
