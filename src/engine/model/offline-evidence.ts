/**
 * How the offline model picks what to say from retrieved chunks: the sentences that share the
 * most content words with the question, grouped under their chunk and cited by its id. Retrieval
 * scores are fused ranks and say little about absolute relevance, so a chunk is used only when one
 * of its sentences speaks to the question. Deterministic: same question and chunks, same picks.
 */
import type { ChunkRef } from "../events";

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

/** Prose sentences of a chunk: headings, table rows and code fences are not sentences. */
export function sentencesOf(text: string): string[] {
  const lines: string[] = [];
  let inFence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && !/^\s*(#|\||<)/.test(line)) lines.push(line);
  }
  const prose = lines.join(" ").replace(/\s+/g, " ").trim();
  return (prose.match(/[^.!?]+(?:[.!?]+(?=\s|$)|$)/g) ?? []).map((s) => s.trim()).filter((s) => s.length > 0);
}

export interface EvidencePick {
  chunk: ChunkRef;
  sentences: string[];
}

export function pickEvidence(question: string, chunks: readonly ChunkRef[], maxSentences = 3): EvidencePick[] {
  const wanted = contentTerms(question);
  const scored = chunks.flatMap((chunk, rank) =>
    sentencesOf(chunk.text).map((sentence, position) => {
      const terms = contentTerms(sentence);
      const overlap = wanted.filter((term) => terms.some((other) => sameWord(term, other))).length;
      return { chunk, rank, position, sentence, overlap };
    }),
  );
  const best = scored
    .filter((s) => s.overlap > 0)
    .sort((a, b) => b.overlap - a.overlap || a.rank - b.rank || a.position - b.position)
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
