/**
 * Ranking across the shards a search reads (the shared shard and the tenant's): each shard returns
 * its dense candidates (cosine with the query) and its lexical candidates (raw BM25 counts), and
 * `fuseShards` puts each ranking on one scale before fusing them.
 *
 * - Dense: cosine scores of one embedder are comparable across shards as they are; the merged
 *   ranking is by score.
 * - Lexical: BM25 computed with the statistics of all the shards together (lexical.ts), as if
 *   they were one index; scores computed per shard are not comparable (IDF over a one-document
 *   shard is near zero).
 * - Hybrid: weighted reciprocal rank fusion (RRF) of the two merged rankings, scaled so that a
 *   chunk ranked first by both scores 1. The dense ranking's weight depends on the embedder
 *   (`denseWeight`).
 */
import { scoreBm25 } from "./lexical";
import type { LexicalCandidates } from "./lexical";
import type { Scored } from "./top-k";

export type { Scored } from "./top-k";

/** Candidates a shard contributes: both rankings, best first, and the chunks they name. */
export interface ShardCandidates<C> {
  dense: Scored[];
  lexical: LexicalCandidates;
  chunks: Record<string, C>;
}

/** The RRF constant: how strongly the top ranks dominate (60 is the customary value). */
export const RRF_K = 60;

/**
 * The dense ranking's weight in the hybrid, by embedder. A model's embeddings (Workers AI, OpenAI)
 * carry meaning that words do not: the two rankings count equally, as customary. The local
 * embedder hashes the question's words, so its cosine ranks by the same words as BM25, without
 * BM25's IDF and with hash collisions: on the retrieval evaluation it is below BM25 in every
 * category; fused at weight 1 it lowered the hybrid's recall@1 from 0.836 to 0.791, and no lower
 * weight (0.05 to 0.5, RRF constants 5 to 60) or score combination lifted recall@1 or MRR above
 * BM25's alone (most lowered them). With it, the hybrid is BM25's ranking, followed by the chunks
 * only the dense ranking found, in its order (weight 0; ties go to the unweighted fusion).
 */
export function denseWeight(embedderId: string): number {
  return embedderId.startsWith("local-") ? 0 : 1;
}

/**
 * Reciprocal rank fusion of rankings (each best first, with a weight each, 1 by default), scaled
 * to [0, 1]. Equal fused scores are ordered by the unweighted fusion, then by id.
 */
export function reciprocalRankFusion(rankings: Scored[][], k = RRF_K, weights?: readonly number[]): Scored[] {
  if (rankings.length === 0) return [];
  const fused = new Map<string, { score: number; unweighted: number }>();
  rankings.forEach((ranking, r) => {
    const weight = weights?.[r] ?? 1;
    ranking.forEach((item, rank) => {
      const entry = fused.get(item.id) ?? { score: 0, unweighted: 0 };
      entry.score += weight / (k + rank + 1);
      entry.unweighted += 1 / (k + rank + 1);
      fused.set(item.id, entry);
    });
  });
  const total = rankings.reduce((sum, _, r) => sum + (weights?.[r] ?? 1), 0);
  const max = (total > 0 ? total : 1) / (k + 1);
  return [...fused.entries()]
    .sort(([a, x], [b, y]) => y.score - x.score || y.unweighted - x.unweighted || a.localeCompare(b))
    .map(([id, { score }]) => ({ id, score: score / max }));
}

function byScore(lists: Scored[][], limit: number): Scored[] {
  return lists
    .flat()
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, limit);
}

export type FusionMode = "hybrid" | "dense" | "lexical";

/** How many candidates of each ranking a search asks each shard for, and fuses. */
export function candidateDepth(k: number): number {
  return Math.max(k * 4, 20);
}

export interface FusionOptions {
  /** `hybrid` (default) fuses both rankings; `dense` and `lexical` use one (the evaluation compares the three). */
  mode?: FusionMode;
  /** The lexical query's term weights (`lexicalQuery`), aligned with the shards' counts. */
  termWeights?: readonly number[];
  /** The dense ranking's weight in the hybrid (`denseWeight`), 1 by default. */
  denseWeight?: number;
}

/** The top `k` chunks over all shards, each with its score. */
export function fuseShards<C>(shards: ShardCandidates<C>[], k: number, options: FusionOptions = {}): { chunk: C; score: number }[] {
  const { mode = "hybrid", termWeights, denseWeight: weight = 1 } = options;
  const depth = candidateDepth(k);
  const dense = mode === "lexical" ? [] : byScore(shards.map((s) => s.dense), depth);
  const lexical = mode === "dense" ? [] : scoreBm25(shards.map((s) => s.lexical), termWeights).slice(0, depth);
  const ranked = mode === "hybrid" ? reciprocalRankFusion([dense, lexical], RRF_K, [weight, 1]) : mode === "dense" ? dense : lexical;
  const chunks = new Map<string, C>();
  for (const shard of shards) for (const [id, chunk] of Object.entries(shard.chunks)) chunks.set(id, chunk);
  const out: { chunk: C; score: number }[] = [];
  for (const { id, score } of ranked) {
    const chunk = chunks.get(id);
    if (chunk !== undefined) out.push({ chunk, score });
    if (out.length === k) break;
  }
  return out;
}
