/**
 * How the offline model picks what to say from retrieved chunks: the sentences that speak to the
 * question, grouped under their chunk and cited by its id. A question term weighs more the fewer
 * retrieved chunks contain it, so a sentence that shares one common word with the question is not
 * taken for evidence (see `pickEvidence`). Retrieval scores are fused ranks and say little about
 * absolute relevance, so a chunk is used only when one of its sentences speaks to the question.
 * Deterministic: same question and chunks, same picks.
 */
import type { ChunkRef } from "../events";
import { atxHeading } from "../retrieval/chunking";

const STOPWORDS = new Set(
  (
    "a about after all also am an and any are as at be been before being but by can could did do does doing " +
    "for from had has have how i if in into is it its me my no not of on or our out over please should so " +
    "some than that the their them then there these they this those to too up us was we were what when where " +
    "which while who whom why will with would you your tell explain describe know"
  ).split(" "),
);

/** Lower-cased content words of a text. */
export function contentTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (word.length >= 2 && !STOPWORDS.has(word)) terms.add(word);
  }
  return [...terms];
}

/**
 * Two words match when they are equal or share a long enough prefix ("ripens"/"ripen",
 * "retried"/"retry", "expired"/"expire"): a stemmer's job, without a stemmer's tables.
 */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length < 5) return long === `${short}s` || long === `${short}es`;
  let common = 0;
  while (common < short.length && short[common] === long[common]) common++;
  return common >= short.length - 1;
}

/**
 * A chunk's prose by section: each heading ("" before the first) and the sentences under it. A
 * heading is what the chunker reads as one (`atxHeading`): "#hashtag" is prose.
 */
export function sectionsOf(text: string): { heading: string; sentences: string[] }[] {
  const sections: { heading: string; lines: string[] }[] = [{ heading: "", lines: [] }];
  let inFence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence || /^\s*(\||<)/.test(line)) continue;
    const heading = atxHeading(line);
    if (heading !== null) sections.push({ heading: heading.title.trim(), lines: [] });
    else sections[sections.length - 1]?.lines.push(line);
  }
  return sections
    .map(({ heading, lines }) => ({ heading, sentences: splitSentences(lines.join(" ")) }))
    .filter((section) => section.heading !== "" || section.sentences.length > 0);
}

/** Prose sentences of a chunk: headings, table rows and code fences are not sentences. */
export function sentencesOf(text: string): string[] {
  return sectionsOf(text).flatMap((section) => section.sentences);
}

/** Sentences end at . ! or ? before a space, never inside inline code (`tr_01J...`, `v1.2`). */
function splitSentences(prose: string): string[] {
  const text = prose.replace(/\s+/g, " ").trim();
  const sentences: string[] = [];
  let start = 0;
  // Code spans are matched whole, so a space after a mark inside one never ends a sentence.
  for (const match of text.matchAll(/`[^`]*`|(?<=[.!?]) /g)) {
    if (match[0] !== " ") continue;
    sentences.push(text.slice(start, match.index));
    start = match.index + 1;
  }
  sentences.push(text.slice(start));
  return sentences.map((sentence) => sentence.trim()).filter((sentence) => sentence.length > 0);
}

export interface EvidencePick {
  chunk: ChunkRef;
  sentences: string[];
}

/** How close to the best sentence's score a sentence must come to be said (see `pickEvidence`). */
const RELEVANCE = 0.7;

/** The question's terms that some word of the text matches. */
function termsIn(wanted: readonly string[], text: string): Set<string> {
  const words = contentTerms(text);
  return new Set(wanted.filter((term) => words.some((word) => sameWord(term, word))));
}

/**
 * The sentences to say, at most `maxSentences`.
 *
 * A question term weighs more the fewer retrieved chunks contain it ("zorblax" in one chunk tells
 * more than "take" in several). A sentence scores the weight of the terms it contains, plus half
 * the weight of those only the rest of its chunk (its title, headings and other sentences)
 * contains: "It ripens in 41 days." answers a question about Zorblax in a chunk about Zorblax.
 * The first sentence under a heading counts the heading's terms as its own ("## Resuming after a
 * disconnect", then "A client that loses its connection reconnects …"), a chunk's `heading_path`
 * naming the heading it was cut from, unless the chunk begins mid-sentence (the chunker's overlap
 * with the chunk before).
 *
 * Only sentences with a term of their own that come within RELEVANCE of the best score are said:
 * beside the Zorblax chunk, "Upgrades take effect immediately." (it shares only "take" with "How
 * long does Zorblax take to ripen?") is not. The bar is relative: when only the plans chunk is
 * retrieved, that sentence is still the best there is and is said. An absolute floor (a share of
 * the question's weight) was tried and dropped: on the retrieval eval it silenced right answers
 * whose evidence sits in a table row, for little less noise.
 */
export function pickEvidence(question: string, chunks: readonly ChunkRef[], maxSentences = 3): EvidencePick[] {
  const wanted = contentTerms(question);
  const docs = chunks.map((chunk, rank) => {
    const sections = sectionsOf(chunk.text);
    const path = Array.isArray(chunk.metadata.heading_path) ? chunk.metadata.heading_path.filter((h): h is string => typeof h === "string") : [];
    const first = sections[0];
    const opening = first?.sentences[0] ?? "";
    if (first !== undefined && first.heading === "" && path.length > 0 && /^[\p{Lu}\p{N}`"'*_([]/u.test(opening)) {
      sections[0] = { ...first, heading: path[path.length - 1] ?? "" };
    }
    const sentences = sections
      .flatMap(({ heading, sentences }) =>
        sentences.map((sentence, i) => ({ sentence, terms: termsIn(wanted, i === 0 && heading !== "" ? `${heading}\n${sentence}` : sentence) })),
      )
      .map((s, position) => ({ ...s, position }));
    const title = typeof chunk.metadata.title === "string" ? chunk.metadata.title : "";
    // The chunk's terms: its sentences' (read once, above), its title's, path's and headings'.
    const terms = termsIn(wanted, [title, ...path, ...sections.map((section) => section.heading)].join("\n"));
    for (const s of sentences) for (const term of s.terms) terms.add(term);
    return { chunk, rank, sentences, terms };
  });
  const weight = new Map(
    wanted.map((term) => {
      const containing = docs.filter((doc) => doc.terms.has(term)).length;
      return [term, containing === 0 ? 0 : Math.log(1 + docs.length / containing)];
    }),
  );
  const sum = (terms: Iterable<string>) => [...terms].reduce((total, term) => total + (weight.get(term) ?? 0), 0);
  const scored = docs.flatMap(({ chunk, rank, sentences, terms }) =>
    sentences
      .filter((s) => s.terms.size > 0)
      .map((s) => {
        const context = [...terms].filter((term) => !s.terms.has(term));
        return { chunk, rank, position: s.position, sentence: s.sentence, score: sum(s.terms) + sum(context) / 2 };
      }),
  );
  const top = scored.reduce((max, s) => Math.max(max, s.score), 0);
  const best = scored
    .filter((s) => s.score >= RELEVANCE * top)
    .sort((a, b) => b.score - a.score || a.rank - b.rank || a.position - b.position)
    .slice(0, maxSentences);
  // Keep the chunks in retrieval order and each chunk's sentences in reading order.
  return chunks
    .map((chunk) => ({
      chunk,
      sentences: best
        .filter((s) => s.chunk === chunk)
        .sort((a, b) => a.position - b.position)
        .map((s) => s.sentence),
    }))
    .filter((pick) => pick.sentences.length > 0);
}
