/**
 * Names in prose: runs of capitalised words ("Ada Quill", "Bank of America"), minus what is
 * capitalised only because it starts a sentence, labels a value or opens an instruction.
 */
import { normaliseWord } from "./claim";

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
    "please thanks thank hello hi hey goodbye bye welcome cheers good " +
    "summary answer result results total sum step steps tip tips example examples " +
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

export const WORD = /[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu;
const isCapitalised = (word: string) => /^\p{Lu}/u.test(word);
/** Inflections of common words; a sentence's lone first word ending so is not taken for a name. */
const INFLECTED = /(?:ing|ly|ed|tion|tions|ment|ments|ness|ity|ers|ors|ists|ies)$/i;

/** Name phrases: runs of capitalised words, joined by connectors ("Bank of America"). */
export function namesIn(sentence: string): { text: string; words: string[] }[] {
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

/** "Weight:" or "Next steps:" before a value or a list: a label, not a claim. */
export function isLabel(sentence: string): boolean {
  return sentence.endsWith(":") && sentence.split(/\s+/).length <= 4;
}

/** Sentences, with list items, line breaks and "Label:" prefixes as boundaries too. */
export function sentencesOf(text: string): string[] {
  return text
    .replace(/[*_~>|]+/g, " ")
    .split(/(?<=[.!?])\s+|\n+|(?<=:)\s+|\s[-–—]\s|[()[\]]/)
    .map((s) => s.replace(/^\s*(?:[-+•]|\d+[.)])\s+/, "").trim())
    .filter((s) => s !== "");
}
