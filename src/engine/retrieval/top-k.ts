/**
 * Partial top-k selection over a score array: one pass that keeps the best `k` in a small sorted
 * buffer and skips everything at or below the current k-th score, instead of sorting all rows.
 * With k a few dozen and tens of thousands of rows, almost every row is one comparison.
 * Order: score descending, then row ascending (the same order as a stable sort).
 */

/** An item of a ranking: a chunk id and its score, higher is better. */
export interface Scored {
  id: string;
  score: number;
}

export interface RowScore {
  row: number;
  score: number;
}

/**
 * The `k` best rows of `scores[0..count)` (best first). `rows`, when given, restricts the scan to
 * those row numbers (e.g. the rows a lexical query touched); they must be distinct.
 */
export function topK(scores: ArrayLike<number>, k: number, count = scores.length, rows?: ArrayLike<number>): RowScore[] {
  const limit = Math.min(k, rows === undefined ? count : rows.length);
  if (limit <= 0) return [];
  const keptRow = new Int32Array(limit);
  const keptScore = new Float64Array(limit);
  let size = 0;
  let threshold = -Infinity;
  const n = rows === undefined ? count : rows.length;
  for (let i = 0; i < n; i++) {
    const row = rows === undefined ? i : rows[i]!;
    const score = scores[row]!;
    if (size === limit && !(score > threshold || (score === threshold && row < keptRow[size - 1]!))) continue;
    // Insertion into the sorted buffer, dropping the last entry when full.
    let at = size === limit ? size - 1 : size;
    while (at > 0 && (keptScore[at - 1]! < score || (keptScore[at - 1] === score && keptRow[at - 1]! > row))) {
      keptScore[at] = keptScore[at - 1]!;
      keptRow[at] = keptRow[at - 1]!;
      at--;
    }
    keptScore[at] = score;
    keptRow[at] = row;
    if (size < limit) size++;
    if (size === limit) threshold = keptScore[size - 1]!;
  }
  const out: RowScore[] = [];
  for (let i = 0; i < size; i++) out.push({ row: keptRow[i]!, score: keptScore[i]! });
  return out;
}
