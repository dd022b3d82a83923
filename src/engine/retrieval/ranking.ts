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
 * - Hybrid: reciprocal rank fusion (RRF) of the two merged rankings, scaled so that a chunk ranked
 *   first by both scores 1.
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

/** Reciprocal rank fusion of rankings (each best first), scaled to [0, 1]. */
export function reciprocalRankFusion(rankings: Scored[][], k = RRF_K): Scored[] {
  if (rankings.length === 0) return [];
  const fused = new Map<string, number>();
  for (const ranking of rankings) {
    ranking.forEach((item, rank) => fused.set(item.id, (fused.get(item.id) ?? 0) + 1 / (k + rank + 1)));
  }
  const max = rankings.length / (k + 1);
  return [...fused.entries()]
    .map(([id, score]) => ({ id, score: score / max }))
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
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

/**
 * The top `k` chunks over all shards. `hybrid` fuses both rankings; `dense` and `lexical` use one
 * (the evaluation compares the three). Returns each chunk with its score.
 */
export function fuseShards<C>(shards: ShardCandidates<C>[], k: number, mode: FusionMode = "hybrid"): { chunk: C; score: number }[] {
  const depth = candidateDepth(k);
  const dense = mode === "lexical" ? [] : byScore(shards.map((s) => s.dense), depth);
  const lexical = mode === "dense" ? [] : scoreBm25(shards.map((s) => s.lexical)).slice(0, depth);
  const ranked = mode === "hybrid" ? reciprocalRankFusion([dense, lexical]) : mode === "dense" ? dense : lexical;
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
