/**
 * Claims in prose: the checkable facts of a text (numbers, dates, names, quoted terms, links,
 * citations) with a normal form each, so "1,000", "1000" and "1 thousand" compare equal, and
 * "May 3, 2024" equals "2024-05-03". Used on the answer (what it claims) and on the evidence (what
 * may be claimed). Pure and deterministic.
 *
 * Extraction runs in a fixed order and masks what it took, so a date is not also read as three
 * numbers and a quoted phrase not also as names: code blocks, citations, links, quoted terms,
 * dates, times and versions, numbers, then names.
 */

export type ClaimKind = "number" | "date" | "name" | "quoted" | "link" | "term";

export interface Claim {
  kind: ClaimKind;
  /** As written in the text. */
  text: string;
  /** Normal forms; the claim is supported when any of them is found in the evidence. */
  keys: string[];
}

export interface ExtractedClaims {
  claims: Claim[];
  /** Chunk ids cited as `[chunk:<id>]`. */
  citations: string[];
  /** Fenced code blocks left unchecked. */
  skippedCodeBlocks: number;
}

// ---------------------------------------------------------------------------------------------
// Numbers

const SCALES: Record<string, number> = {
  k: 1e3,
  thousand: 1e3,
  M: 1e6,
  million: 1e6,
  B: 1e9,
  bn: 1e9,
  billion: 1e9,
  trillion: 1e12,
};

/**
 * A number as people write it: optional sign and currency, digit groups separated by commas or
 * (narrow) no-break spaces, a decimal part, then a percent sign or a scale word. Not the tail of
 * a decimal ("1.2.3") or of a word ("B52").
 */
const NUMBER =
  /(?<![\p{L}\p{N}_]|\d\.)([-−+]?)([$€£¥])?(\d{1,3}(?:[,\u00a0\u202f\u2009]\d{3})+|\d+)(?:\.(\d+))?(?:(%|k\b|M\b|B\b|bn\b)|\s?(percent\b|per cent\b|thousand\b|million\b|billion\b|trillion\b))?(?!\d|[.,]\d)/gu;

/** "1,000.50" → "1000.5": digits only, no leading zeros, no trailing fractional zeros. */
export function canonicalNumber(integer: string, fraction = ""): string {
  const whole = integer.replace(/\D/g, "").replace(/^0+(?=\d)/, "");
  const frac = fraction.replace(/0+$/, "");
  return frac === "" ? whole : `${whole}.${frac}`;
}

function scaledNumber(canonical: string, scale: number): string {
  return String(Number((Number(canonical) * scale).toPrecision(12)));
}

const WORD_NUMBERS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70,
  eighty: 80, ninety: 90, hundred: 100, dozen: 12,
};

// ---------------------------------------------------------------------------------------------
// Dates

const MONTH_NAMES = [
  ["January", "Jan"], ["February", "Feb"], ["March", "Mar"], ["April", "Apr"], ["May"], ["June", "Jun"],
  ["July", "Jul"], ["August", "Aug"], ["September", "Sept", "Sep"], ["October", "Oct"], ["November", "Nov"],
  ["December", "Dec"],
] as const;
const MONTH_INDEX = new Map<string, number>(
  MONTH_NAMES.flatMap((names, index) => names.map((name) => [name.toLowerCase(), index + 1] as const)),
);
/** Capitalised only: "may" is more often a verb than a month. */
const MONTH = `(${MONTH_NAMES.flat().join("|")})\\.?`;
const DAY = "(\\d{1,2})(?:st|nd|rd|th)?";
const YEAR = "(\\d{4})";

const pad = (n: number) => String(n).padStart(2, "0");
const validDay = (month: number, day: number) => month >= 1 && month <= 12 && day >= 1 && day <= 31;

interface DateForm {
  pattern: RegExp;
  /** Normal forms of one match: `yyyy-mm-dd`, `yyyy-mm` or `--mm-dd`; empty when not a real date. */
  keys(m: RegExpExecArray): string[];
}

const month = (name: string | undefined) => MONTH_INDEX.get((name ?? "").toLowerCase().replace(/\.$/, "")) ?? 0;
const full = (y: number, mo: number, d: number) => (validDay(mo, d) ? [`${y}-${pad(mo)}-${pad(d)}`] : []);

const DATE_FORMS: DateForm[] = [
  {
    // 2024-05-03, optionally with a time: 2024-05-03T10:00:00Z
    pattern: /\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)/g,
    keys: (m) => full(Number(m[1]), Number(m[2]), Number(m[3])),
  },
  {
    // May 3, 2024 · May 3rd 2024
    pattern: new RegExp(`\\b${MONTH}\\s+${DAY},?\\s+${YEAR}\\b`, "g"),
    keys: (m) => full(Number(m[3]), month(m[1]), Number(m[2])),
  },
  {
    // 3 May 2024 · 3rd of May, 2024
    pattern: new RegExp(`\\b${DAY}\\s+(?:of\\s+)?${MONTH},?\\s+${YEAR}\\b`, "g"),
    keys: (m) => full(Number(m[3]), month(m[2]), Number(m[1])),
  },
  {
    // 03/05/2024 or 3.5.2024: day-month or month-day, either reading counts
    pattern: /\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b/g,
    keys: (m) => [...full(Number(m[3]), Number(m[2]), Number(m[1])), ...full(Number(m[3]), Number(m[1]), Number(m[2]))],
  },
  {
    // May 2024
    pattern: new RegExp(`\\b${MONTH},?\\s+${YEAR}\\b`, "g"),
    keys: (m) => (month(m[1]) ? [`${m[2]}-${pad(month(m[1]))}`] : []),
  },
  {
    // May 3 · 3rd of May
    pattern: new RegExp(`\\b${MONTH}\\s+${DAY}\\b|\\b${DAY}\\s+(?:of\\s+)?${MONTH}\\b`, "g"),
    keys: (m) => {
      const mo = m[1] ? month(m[1]) : month(m[4]);
      const d = Number(m[2] ?? m[3]);
      return validDay(mo, d) ? [`--${pad(mo)}-${pad(d)}`] : [];
    },
  },
];

/** Every partial form a full date also supports ("2024-05-03" supports "May 2024" and "May 3"). */
function impliedDateKeys(key: string): string[] {
  const fullDate = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (fullDate) return [key, `${fullDate[1]}-${fullDate[2]}`, `--${fullDate[2]}-${fullDate[3]}`];
  return [key];
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * Capitalised words that start sentences without being names. A sentence's first word is a name
 * candidate only when it is not one of these and does not look like an inflected common word.
 */
const SENTENCE_STARTERS = wordSet(
  "a an the this that these those there here it its it's i i'm i've i'd i'll we we're you you're your he she they " +
    "their them our my me his her yes no not none nothing all any some each every both either neither many most more " +
    "much few several one two three four five six seven eight nine ten first second third next then finally lastly " +
    "also and but or so yet because since although though while when where what which who whom whose why how if " +
    "unless until after before during however therefore thus hence moreover furthermore additionally instead otherwise " +
    "meanwhile still overall in on at by for from with without within about above below under over into onto of to " +
    "as per via based according given note notes sure certainly absolutely unfortunately sorry great okay ok well " +
    "please thanks thank hello hi hey summary answer result results total sum step steps tip tips example examples " +
    "source sources evidence knowledge context question questions reason reasons important warning caution " +
    "do does did don't doesn't didn't is are was were be been being has have had can could would should will shall " +
    "might must may just only even perhaps maybe likely unlikely probably possibly currently today yesterday tomorrow " +
    "now recently previously again once other another such same " +
    // Imperatives that open instructions.
    "see let let's use try check compute calculate read visit consider click open run add remove set call ask make " +
    "take keep find follow go start stop write enter select choose install configure create contact refer save " +
    "remember imagine think look notice multiply divide subtract",
);

/** Words that are capitalised but say nothing checkable. */
const NOT_NAMES = wordSet("i i'm i've i'd i'll ok okay ai api apis url urls faq dr mr mrs ms prof st");

/** A capitalised first word followed by one of these is a verb ("Compute it", "Read the"), not a name. */
const OBJECT_WORDS = wordSet("it the a an this that these those your them me us our its my his her their each every all");

function wordSet(words: string): ReadonlySet<string> {
  return new Set(words.split(/\s+/).filter(Boolean).map(normaliseWord));
}

const CONNECTORS = new Set(["of", "de", "la", "le", "von", "van", "der", "den", "du", "del", "da", "di"]);

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;
const isCapitalised = (word: string) => /^\p{Lu}/u.test(word);
/** Inflections of common words; a sentence's lone first word ending so is not taken for a name. */
const INFLECTED = /(?:ing|ly|ed|tion|tions|ment|ments|ness|ity|ers|ors|ists|ies)$/i;

export function normaliseWord(word: string): string {
  return word
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/['’]s$/, "")
    .replace(/['’]/g, "");
}

/** Name phrases: runs of capitalised words, joined by connectors ("Bank of America"). */
function namesIn(sentence: string): { text: string; words: string[] }[] {
  const tokens = [...sentence.matchAll(WORD)].map((m) => ({ word: m[0], at: m.index, end: m.index + m[0].length }));
  const names: { text: string; words: string[] }[] = [];
  let run: typeof tokens = [];
  const flush = (first: boolean, next: string | undefined) => {
    // Connectors may join names but not end them.
    while (run.length > 0 && CONNECTORS.has((run[run.length - 1]?.word ?? "").toLowerCase())) run.pop();
    let words = run;
    if (first) {
      // The sentence's first word is capitalised anyway: keep it only when it looks like a name.
      const lead = words[0]?.word ?? "";
      const lone = words.length === 1;
      const verbLike = lone && OBJECT_WORDS.has(normaliseWord(next ?? ""));
      if (SENTENCE_STARTERS.has(normaliseWord(lead)) || (lone && INFLECTED.test(lead)) || verbLike) words = words.slice(1);
      while (words.length > 0 && CONNECTORS.has((words[0]?.word ?? "").toLowerCase())) words = words.slice(1);
    }
    // "Zorblax-based" claims Zorblax; "Coca-Cola" claims both parts.
    const meaningful = words
      .filter((t) => !CONNECTORS.has(t.word.toLowerCase()))
      .flatMap((t) => t.word.split(/[-‐]/).filter(isCapitalised))
      .map(normaliseWord)
      .filter((word) => word.length > 1 && !NOT_NAMES.has(word));
    const head = words[0];
    const tail = words[words.length - 1];
    if (meaningful.length > 0 && head && tail) {
      const text = sentence.slice(head.at, tail.end).replace(/['’]s$/, "");
      names.push({ text, words: [...new Set(meaningful)] });
    }
    run = [];
  };
  let runStartsSentence = false;
  for (const [index, token] of tokens.entries()) {
    const joinable = run.length > 0 && CONNECTORS.has(token.word.toLowerCase());
    const adjacent = run.length === 0 || /^[\s]+$/.test(sentence.slice(run[run.length - 1]?.end, token.at));
    if ((isCapitalised(token.word) || joinable) && adjacent && !/^\d/.test(token.word)) {
      if (run.length === 0) runStartsSentence = index === 0;
      run.push(token);
    } else {
      if (run.length > 0) flush(runStartsSentence, token.word);
      if (isCapitalised(token.word) && !/^\d/.test(token.word)) {
        runStartsSentence = index === 0;
        run.push(token);
      }
    }
  }
  if (run.length > 0) flush(runStartsSentence, undefined);
  return names;
}

// ---------------------------------------------------------------------------------------------
// Extraction

const CODE_FENCE = /```[\s\S]*?(?:```|$)/g;
const CITATION = /\[chunk:([^\]\s]+)\]/g;
const LINK = /\bhttps?:\/\/[^\s<>()"'`\]]+/g;
const QUOTED = /"([^"\n]{2,200})"|“([^”\n]{2,200})”|«([^»\n]{2,200})»|`([^`\n]{1,200})`/g;
/** Clock times and dotted versions: checked verbatim, not as separate numbers. */
const TERM = /\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?(?![\d:])|\bv?\d+(?:\.\d+){2,}\b/gi;

/** Replaces a match with spaces, so positions and sentence boundaries stay where they were. */
const blank = (text: string) => text.replace(/[^\n]/g, " ");

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

function takeDates(text: string, found: (claim: Claim) => void): string {
  let out = text;
  for (const form of DATE_FORMS) {
    out = out.replace(form.pattern, (...args: unknown[]) => {
      const match = args.slice(0, -2) as unknown as RegExpExecArray;
      const whole = String(args[0]);
      const keys = form.keys(match);
      if (keys.length === 0) return whole;
      found({ kind: "date", text: whole, keys });
      return blank(whole);
    });
  }
  return out;
}

function takeNumbers(text: string, found: (claim: Claim) => void): string {
  return text.replace(NUMBER, (whole, _sign: string, _currency: string | undefined, integer: string, fraction: string | undefined, unit: string | undefined, word: string | undefined) => {
    const value = canonicalNumber(integer, fraction);
    const keys = [value];
    const scale = SCALES[unit ?? ""] ?? SCALES[(word ?? "").toLowerCase()];
    if (scale !== undefined) keys.push(scaledNumber(value, scale));
    found({ kind: "number", text: whole.trim(), keys });
    return blank(whole);
  });
}

/** "Weight:" or "Next steps:" before a value or a list: a label, not a claim. */
function isLabel(sentence: string): boolean {
  return sentence.endsWith(":") && sentence.split(/\s+/).length <= 4;
}

/** Sentences, with list items, line breaks and "Label:" prefixes as boundaries too. */
function sentencesOf(text: string): string[] {
  return text
    .replace(/[*_~>|]+/g, " ")
    .split(/(?<=[.!?])\s+|\n+|(?<=:)\s+|\s[-–—]\s|[()[\]]/)
    .map((s) => s.replace(/^\s*(?:[-+•]|\d+[.)])\s+/, "").trim())
    .filter((s) => s !== "");
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

// ---------------------------------------------------------------------------------------------
// Evidence

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
      return claim.keys.some((key) => evidence.numbers.has(key)) || isRounding(claim, evidence);
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

/**
 * A number written with less precision than the evidence holds: "3.14" for 3.14159, "0.3" for
 * 0.30000000000000004, "1.2 million" for 1,234,567. Only decimals and scaled numbers count as
 * rounded; a bare integer must match exactly ("3" is not 3.14, "1,000" is not 1,234).
 */
function isRounding(claim: Claim, evidence: EvidenceIndex): boolean {
  const [raw, scaled] = claim.keys;
  if (raw === undefined) return false;
  const decimals = raw.split(".")[1]?.length ?? 0;
  if (scaled !== undefined) {
    const significant = raw.replace(".", "").replace(/^0+/, "").length;
    const target = Number(scaled);
    return significant > 0 && [...evidence.numbers].some((e) => Number(Number(e).toPrecision(significant)) === target);
  }
  if (decimals === 0) return false;
  const target = Number(raw);
  return [...evidence.numbers].some((e) => e.includes(".") && Number(Number(e).toFixed(decimals)) === target);
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
