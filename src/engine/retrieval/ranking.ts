/**
 * Scoring for the embedded index: brute-force cosine top-k over a dense matrix of unit vectors,
 * and reciprocal rank fusion (RRF) of the dense ranking with the lexical (BM25) one.
 *
 * Each shard of the index returns its own dense and lexical candidate lists; `fuseShards` merges
 * them (cosine scores are comparable across shards, they come from one embedder; BM25 scores
 * nearly so) and fuses the two merged rankings. The fused score is RRF scaled so that a chunk
 * ranked first by both rankings scores 1.
 */

export interface Scored {
  id: string;
  score: number;
}

/** Candidates a shard contributes: both rankings, best first, and the chunks they name. */
export interface ShardCandidates<C> {
  dense: Scored[];
  lexical: Scored[];
  chunks: Record<string, C>;
}

/** The RRF constant: how strongly the top ranks dominate (60 is the customary value). */
export const RRF_K = 60;

/**
 * Indices and scores of the `k` rows of `matrix` (row-major, `dimensions` columns, unit rows)
 * with the highest dot product with the unit `query`, best first; ties keep row order.
 * Only the query's non-zero dimensions are visited: a short question embeds into few of them.
 */
export function topKDot(matrix: Float32Array, dimensions: number, query: Float32Array, k: number): { row: number; score: number }[] {
  const rows = dimensions === 0 ? 0 : Math.floor(matrix.length / dimensions);
  const best: { row: number; score: number }[] = [];
  if (k <= 0) return best;
  const active: number[] = [];
  for (let i = 0; i < dimensions; i++) if (query[i] !== 0) active.push(i);
  const index = Int32Array.from(active);
  const weight = Float32Array.from(active, (i) => query[i] ?? 0);
  let threshold = -Infinity;
  for (let row = 0; row < rows; row++) {
    const base = row * dimensions;
    let dot = 0;
    // Hot loop: indices are in range by construction, so the checked reads are asserted.
    for (let j = 0; j < index.length; j++) dot += matrix[base + index[j]!]! * weight[j]!;
    if (best.length === k && dot <= threshold) continue;
    // Insertion into a small sorted list: k is tiny next to the number of rows.
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < dot) at--;
    best.splice(at, 0, { row, score: dot });
    if (best.length > k) best.pop();
    if (best.length === k) threshold = best[k - 1]!.score;
  }
  return best;
}

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

function mergeRanking(lists: Scored[][], limit: number): Scored[] {
  return lists
    .flat()
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
    .slice(0, limit);
}

export type FusionMode = "hybrid" | "dense" | "lexical";

/**
 * The top `k` chunks over all shards. `hybrid` fuses both rankings; `dense` and `lexical` use one
 * (the evaluation compares the three). Returns each chunk with its score.
 */
export function fuseShards<C>(shards: ShardCandidates<C>[], k: number, mode: FusionMode = "hybrid"): { chunk: C; score: number }[] {
  const depth = Math.max(k * 4, 20);
  const dense = mergeRanking(shards.map((s) => s.dense), depth);
  const lexical = mergeRanking(shards.map((s) => s.lexical), depth);
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
