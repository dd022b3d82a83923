/**
 * The claims of an answer, extracted in a fixed order that masks what each stage took, so a date
 * is not also read as three numbers and a quoted phrase not also as names: code blocks, list
 * enumerators, citations, links, quoted terms, dates, times and versions, numbers, then names.
 */
import { blank, normaliseText, type Claim } from "./claim";
import { takeDates } from "./dates";
import { isLabel, namesIn, sentencesOf } from "./names";
import { takeNumbers } from "./numbers";

export interface ExtractedClaims {
  claims: Claim[];
  /** Chunk ids cited as `[chunk:<id>]`. */
  citations: string[];
  /** Fenced code blocks left unchecked. */
  skippedCodeBlocks: number;
}

const CODE_FENCE = /```[\s\S]*?(?:```|$)/g;
const CITATION = /\[chunk:([^\]\s]+)\]/g;
const LINK = /\bhttps?:\/\/[^\s<>()"'`\]]+/g;
const QUOTED = /"([^"\n]{2,200})"|“([^”\n]{2,200})”|«([^»\n]{2,200})»|`([^`\n]{1,200})`/g;
/** Clock times and dotted versions: checked verbatim, not as separate numbers. */
const TERM = /\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?(?![\d:])|\bv?\d+(?:\.\d+){2,}\b/gi;

function stripLinkPunctuation(url: string): string {
  return url.replace(/[.,;:!?]+$/, "");
}

/**
 * The claims of an answer. Markdown headings and fenced code are not prose claims: headings are
 * left out of the name check (Title Case would make every word a "name"), code blocks entirely.
 */
export function extractClaims(answer: string): ExtractedClaims {
  const claims: Claim[] = [];
  let skippedCodeBlocks = 0;
  let text = answer.replace(CODE_FENCE, (block) => {
    skippedCodeBlocks++;
    return blank(block);
  });
  // List enumerators ("1. ", "2) ") number the answer's own items, not facts.
  text = text.replace(/^(\s*)(\d{1,3}[.)])(?=\s)/gm, (_whole, indent: string, marker: string) => indent + blank(marker));
  const citations: string[] = [];
  text = text.replace(CITATION, (whole, id: string) => {
    citations.push(id);
    return blank(whole);
  });
  text = text.replace(LINK, (url) => {
    const clean = stripLinkPunctuation(url);
    claims.push({ kind: "link", text: clean, keys: [normaliseText(clean).replace(/\/$/, "")] });
    return blank(clean) + url.slice(clean.length);
  });
  text = text.replace(QUOTED, (whole, ...groups: unknown[]) => {
    const inner = groups.slice(0, 4).find((g): g is string => typeof g === "string") ?? "";
    if (inner.trim() !== "") claims.push({ kind: "quoted", text: inner, keys: [normaliseText(inner)] });
    return blank(whole);
  });
  text = takeDates(text, (date) => claims.push(date));
  text = text.replace(TERM, (term) => {
    claims.push({ kind: "term", text: term, keys: [normaliseText(term)] });
    return blank(term);
  });
  text = takeNumbers(text, (number) => claims.push(number));
  const prose = text.replace(/^\s{0,3}#{1,6}\s.*$/gm, blank);
  for (const sentence of sentencesOf(prose)) {
    if (isLabel(sentence)) continue;
    for (const name of namesIn(sentence)) claims.push({ kind: "name", text: name.text, keys: name.words });
  }
  return { claims: dedupe(claims), citations: [...new Set(citations)], skippedCodeBlocks };
}

function dedupe(claims: Claim[]): Claim[] {
  const seen = new Set<string>();
  return claims.filter((claim) => {
    const id = `${claim.kind}:${claim.keys.join("|")}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
