/**
 * The evidence side: what a run's chunks, tool results and message support, indexed in the same
 * normal forms as the claims, and the test of one claim against it.
 */
import { normaliseText, normaliseWord, type Claim } from "./claim";
import { impliedDateKeys, takeDates } from "./dates";
import { WORD } from "./names";
import { isRoundingOf, takeNumbers, WORD_NUMBERS } from "./numbers";

/** What the evidence supports, in the same normal forms as the claims. */
export interface EvidenceIndex {
  numbers: Set<string>;
  dates: Set<string>;
  words: Set<string>;
  /** The whole evidence, normalised, for quote, term and link containment. */
  text: string;
}

export function indexEvidence(texts: readonly string[]): EvidenceIndex {
  const numbers = new Set<string>();
  const dates = new Set<string>();
  const words = new Set<string>();
  for (const source of texts) {
    let text = takeDates(source, (date) => {
      for (const key of date.keys) {
        for (const implied of impliedDateKeys(key)) dates.add(implied);
        const year = /^(\d{4})-/.exec(key)?.[1];
        if (year) numbers.add(year);
      }
    });
    // Times and versions in evidence also hold numbers a claim may cite alone.
    text = takeNumbers(text, (number) => number.keys.forEach((key) => numbers.add(key)));
    for (const match of source.matchAll(WORD)) {
      const word = normaliseWord(match[0]);
      words.add(word);
      // Hyphenated and dotted compounds ("Zorblax-7", "github.com") support their parts too.
      for (const part of word.split(/[-.]/)) if (part) words.add(part);
      const spelled = WORD_NUMBERS[word];
      if (spelled !== undefined) numbers.add(String(spelled));
    }
  }
  return { numbers, dates, words, text: normaliseText(texts.join("\n")) };
}

/** Whether the evidence supports a claim. */
export function isSupported(claim: Claim, evidence: EvidenceIndex): boolean {
  switch (claim.kind) {
    case "number":
      return claim.keys.some((key) => evidence.numbers.has(key)) || isRoundingOf(claim, evidence.numbers);
    case "date":
      return claim.keys.some((key) => evidence.dates.has(key));
    case "name":
      // Every word of the name, wherever it stands: "Ann Lee" is supported by "Lee, Ann".
      return claim.keys.every((word) => evidence.words.has(word));
    case "quoted":
    case "term":
      return claim.keys.some((key) => containsPhrase(evidence.text, key));
    case "link":
      return claim.keys.some((key) => evidence.text.includes(key));
  }
}

/** `phrase` occurs in `text` and is not the inside of a longer word ("Ann" is not in "annual"). */
function containsPhrase(text: string, phrase: string): boolean {
  const edge = /[\p{L}\p{N}]/u;
  for (let at = text.indexOf(phrase); at !== -1; at = text.indexOf(phrase, at + 1)) {
    const before = text[at - 1] ?? " ";
    const after = text[at + phrase.length] ?? " ";
    const startsWord = edge.test(phrase[0] ?? "");
    const endsWord = edge.test(phrase[phrase.length - 1] ?? "");
    if ((!startsWord || !edge.test(before)) && (!endsWord || !edge.test(after))) return true;
  }
  return false;
}
