/**
 * Word-level text analysis shared by the local embedder and the lexical query builder: lower-case,
 * accents folded, split on anything that is not a letter or a digit, English stop words dropped,
 * and a light suffix-stripping stemmer so that "limits", "limited" and "limiting" meet.
 */

const STOP_WORDS = new Set(
  (
    "a about above after again against all am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have " +
    "having he her here hers herself him himself his how i if in into is it its itself just me more most " +
    "my myself no nor not now of off on once only or other our ours ourselves out over own same she should " +
    "so some such than that the their theirs them themselves then there these they this those through to " +
    "too under until up very was we were what when where which while who whom why will with would you " +
    "your yours yourself yourselves also may might must shall us get got tell"
  ).split(" "),
);

/** Strips common English inflections. Deliberately conservative: it never leaves fewer than 3 letters. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  const rules: [string, string][] = [
    ["ational", "ate"],
    ["ization", "ize"],
    ["iveness", "ive"],
    ["fulness", "ful"],
    ["ousness", "ous"],
    ["ements", "e"],
    ["ement", "e"],
    ["ments", ""],
    ["ment", ""],
    ["ings", ""],
    ["ing", ""],
    ["ied", "y"],
    ["ies", "y"],
    ["edly", ""],
    ["ed", ""],
    ["ly", ""],
    ["sses", "ss"],
    ["es", "e"],
    ["s", ""],
  ];
  for (const [suffix, replacement] of rules) {
    if (word.endsWith(suffix) && !(suffix === "s" && word.endsWith("ss"))) {
      const base = word.slice(0, word.length - suffix.length) + replacement;
      if (base.length >= 3) return base.endsWith("e") && base.length > 4 ? base.slice(0, -1) : base;
    }
  }
  return word.endsWith("e") && word.length > 4 ? word.slice(0, -1) : word;
}

/** Lower-cased, accent-folded words of `text`, in order, stop words included. */
export function words(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** The content terms of `text`: words without stop words, stemmed. */
export function terms(text: string): string[] {
  return words(text)
    .filter((w) => !STOP_WORDS.has(w))
    .map(stem);
}

/** The distinct words of a query that carry meaning (stop words dropped, not stemmed). */
export function queryWords(text: string): string[] {
  return [...new Set(words(text).filter((w) => !STOP_WORDS.has(w)))];
}
