/**
 * The lexical half of hybrid retrieval: BM25 with statistics taken over every shard a search
 * reads, so that lexical scores from different shards are on one scale.
 *
 * Why global statistics: BM25's IDF is a property of the collection. Scored within its own
 * shard, a tenant's one-document shard gives every term an IDF near zero (the term is in all of
 * its one document), so its chunk loses to any chunk of the shared shard that shares a common
 * word with the question ("which port does zorblax use": the shared documents about ports won).
 * Each shard therefore returns, with its candidates, its raw counts (chunks, total length,
 * document frequency of each query term, and each candidate's term frequencies and length), and
 * `scoreBm25` scores all candidates as if the shards were one index. A shard picks its candidates
 * with its own statistics; that choice only matters past `depth` matches within one shard.
 *
 * Text analysis is `terms()` from text.ts, the same at ingestion and at query time. Beside its
 * terms, a text counts its pairs of adjacent terms ("dev patel", "run engine"), so that a phrase
 * outranks the same words scattered: bag-of-words BM25 ranked "dev mode" first for "What does Dev
 * Patel own?". A query also counts its words' thesaurus relatives (thesaurus.ts) at
 * `EXPANSION_WEIGHT`, so that a question worded differently from its answer still meets it, while
 * the question's own words dominate.
 */
import { terms } from "./text";
import { relatedTerms } from "./thesaurus";
import type { Scored } from "./top-k";

/** BM25 parameters: the customary values (also SQLite FTS5's). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/** Most query terms a search uses; a longer question keeps its first distinct terms. */
export const MAX_QUERY_TERMS = 32;

/** Most thesaurus relatives a query adds, after its own terms. */
export const MAX_EXPANSION_TERMS = 48;

/**
 * A thesaurus relative counts this much of a term of the question itself. Measured on the
 * retrieval evaluation: 0.3 to 0.7 all lift paraphrases; above 0.5, relatives start to outrank
 * the question's own rare words (rare-name and tenant questions lose first places).
 */
export const EXPANSION_WEIGHT = 0.5;

/** The distinct content terms of a query, in order of first appearance. */
export function queryTerms(query: string, max = MAX_QUERY_TERMS): string[] {
  return [...new Set(terms(query))].slice(0, max);
}

/** The terms a lexical search counts, with their weights (aligned). */
export interface LexicalQuery {
  terms: string[];
  weights: number[];
}

/**
 * A query's own terms (weight 1), their thesaurus relatives that it lacks (`EXPANSION_WEIGHT`),
 * and its pairs of adjacent terms (`PAIR_WEIGHT`).
 */
export function lexicalQuery(query: string, expansionWeight = EXPANSION_WEIGHT): LexicalQuery {
  const sequence = terms(query);
  const own = queryTerms(query);
  const seen = new Set(own);
  const relatives: string[] = [];
  if (expansionWeight > 0) {
    for (const term of own) {
      for (const related of relatedTerms(term)) {
        if (seen.has(related) || relatives.length >= MAX_EXPANSION_TERMS) continue;
        seen.add(related);
        relatives.push(related);
      }
    }
  }
  const pairs: string[] = [];
  for (let i = 0; i + 1 < sequence.length && pairs.length < MAX_QUERY_TERMS; i++) {
    const key = pairKey(sequence[i] ?? "", sequence[i + 1] ?? "");
    if (!pairs.includes(key)) pairs.push(key);
  }
  return {
    terms: [...own, ...relatives, ...pairs],
    weights: [...own.map(() => 1), ...relatives.map(() => expansionWeight), ...pairs.map(() => PAIR_WEIGHT)],
  };
}

/**
 * A pair of adjacent terms counts this much of a term. Measured on the retrieval evaluation: 0.5
 * lifted rare-name questions' recall@1 from 0.88 to 0.94; at 1, pairs of common words start to
 * outrank a single rare word.
 */
export const PAIR_WEIGHT = 0.5;

/** The key of a pair of adjacent terms (terms never hold a space). */
export function pairKey(first: string, second: string): string {
  return `${first} ${second}`;
}

export function isPair(key: string): boolean {
  return key.includes(" ");
}

/** Pairs are hashed into this many buckets: a shard keeps no string per pair (there are millions). */
export const PAIR_BUCKETS = 1 << 18;

/** A pair's bucket: FNV-1a of its key. Collisions only add a little to a pair's document frequency. */
export function pairBucket(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % PAIR_BUCKETS;
}

/**
 * A chunk's counts for the lexical index: its distinct terms and pairs of adjacent terms with
 * their frequencies, and its length (its number of terms; pairs do not lengthen it).
 */
export function termCounts(text: string): { counts: Map<string, number>; length: number } {
  const counts = new Map<string, number>();
  const all = terms(text);
  for (const term of all) counts.set(term, (counts.get(term) ?? 0) + 1);
  for (let i = 0; i + 1 < all.length; i++) {
    const key = pairKey(all[i] ?? "", all[i + 1] ?? "");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, length: all.length };
}

/** One shard's counts for the query terms (aligned with them). */
export interface LexicalStats {
  /** Chunks in the shard. */
  chunks: number;
  /** Sum of the chunks' lengths, in terms. */
  length: number;
  /** For each query term, how many of the shard's chunks contain it. */
  df: number[];
}

export interface LexicalHit {
  id: string;
  /** The chunk's length, in terms. */
  length: number;
  /** For each query term, how often the chunk contains it. */
  tf: number[];
}

/** What a shard returns for the lexical ranking: its counts and its best candidates. */
export interface LexicalCandidates extends LexicalStats {
  hits: LexicalHit[];
}

export const NO_LEXICAL_CANDIDATES: LexicalCandidates = { chunks: 0, length: 0, df: [], hits: [] };

/** IDF as Lucene computes it: always positive, so a term present everywhere still counts a little. */
export function idf(chunks: number, df: number): number {
  return Math.log(1 + (chunks - df + 0.5) / (df + 0.5));
}

/** One term's BM25 contribution for a chunk, before IDF. */
export function saturatedTf(tf: number, length: number, averageLength: number): number {
  if (tf <= 0) return 0;
  const norm = averageLength > 0 ? 1 - BM25_B + (BM25_B * length) / averageLength : 1;
  return (tf * (BM25_K1 + 1)) / (tf + BM25_K1 * norm);
}

/**
 * BM25 of every shard's candidates with the statistics of all the shards together, best first
 * (ties by id). All shards must report the same query terms, in the same order; `weights` scales
 * each term's contribution (1 by default).
 */
export function scoreBm25(shards: LexicalCandidates[], weights?: readonly number[]): Scored[] {
  let chunks = 0;
  let length = 0;
  const terms = Math.max(0, ...shards.map((s) => s.df.length));
  const df = new Array<number>(terms).fill(0);
  for (const shard of shards) {
    chunks += shard.chunks;
    length += shard.length;
    shard.df.forEach((n, t) => (df[t] = (df[t] ?? 0) + n));
  }
  if (chunks === 0) return [];
  const averageLength = length / chunks;
  const termWeights = df.map((n, t) => idf(chunks, n) * (weights?.[t] ?? 1));
  const scored: Scored[] = [];
  for (const shard of shards) {
    for (const hit of shard.hits) {
      let score = 0;
      hit.tf.forEach((tf, t) => (score += (termWeights[t] ?? 0) * saturatedTf(tf, hit.length, averageLength)));
      if (score > 0) scored.push({ id: hit.id, score });
    }
  }
  return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
