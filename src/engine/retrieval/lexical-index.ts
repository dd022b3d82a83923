/**
 * The in-memory lexical index of one shard: an inverted index in compressed-row form (one
 * postings run per term: the rows that contain it, ascending, and the term's frequency in each),
 * built once from the term counts stored with each chunk and kept between searches.
 *
 * Why in memory rather than SQLite FTS5: FTS5's `ORDER BY rank` scores every row that matches any
 * query term, through the auxiliary-function interface, which took 8 to 40 ms for a question of
 * common words over 20,000 chunks; here a query term costs one pass over its postings into a
 * score array (about a millisecond for the same questions). And BM25 needs raw counts to be
 * scored with statistics across shards (lexical.ts), which FTS5's `bm25()` does not expose.
 *
 * Term ids: a term's id from the shard's vocabulary, or `PAIR_ID_BASE + pairBucket(key)` for a
 * pair of adjacent terms (lexical.ts), which keeps no string.
 *
 * Memory: 3 bytes a posting (2 for the row while a shard has at most 65,536 rows, 1 for the
 * frequency, capped at 255) plus 8 bytes a row and 1 MB of offsets; about 80 distinct terms and
 * 90 pairs a 1,000-character chunk make about 6 MB per 10,000 chunks, beside the terms' strings.
 */
import { BM25_B, BM25_K1, PAIR_BUCKETS, idf, isPair, pairBucket } from "./lexical";
import { topK } from "./top-k";

/** Where pair ids start: above any vocabulary id a shard will reach. */
export const PAIR_ID_BASE = 0x80000000;

export interface LexicalRowHit {
  row: number;
  length: number;
  tf: number[];
}

export class LexicalIndex {
  private readonly scratch: Float32Array;
  private readonly touched: Uint32Array;
  /** Per row, BM25's length normalisation `k1 * (1 - b + b * length / average)`, computed once. */
  private readonly norms: Float32Array;

  private constructor(
    readonly rows: number,
    private readonly vocabulary: ReadonlyMap<string, number>,
    /** The largest vocabulary id when the index was built: slots of pairs come after it. */
    private readonly maxId: number,
    private readonly offsets: Uint32Array,
    private readonly postingRows: Uint16Array | Uint32Array,
    private readonly postingTf: Uint8Array,
    private readonly lengths: Uint32Array,
    /** Sum of all rows' lengths. */
    readonly length: number,
  ) {
    this.scratch = new Float32Array(rows);
    this.touched = new Uint32Array(rows);
    const average = rows > 0 ? length / rows : 0;
    this.norms = Float32Array.from(lengths, (n) => BM25_K1 * (average > 0 ? 1 - BM25_B + (BM25_B * n) / average : 1));
  }

  /**
   * Builds the index. `vocabulary` maps each term to its id; `counts(row)` gives the row's
   * distinct terms and pairs as `[termId, tf, termId, tf, ...]` (pairs: `PAIR_ID_BASE + bucket`).
   */
  static build(rows: number, vocabulary: ReadonlyMap<string, number>, counts: (row: number) => ArrayLike<number>): LexicalIndex {
    let maxId = -1;
    for (const id of vocabulary.values()) if (id > maxId) maxId = id;
    // Slots: vocabulary ids 0..maxId, then the pair buckets.
    const slot = (id: number) => (id >= PAIR_ID_BASE ? maxId + 1 + (id - PAIR_ID_BASE) : id);
    const all = Array.from({ length: rows }, (_, row) => counts(row));
    const offsets = new Uint32Array(maxId + 1 + PAIR_BUCKETS + 1);
    const lengths = new Uint32Array(rows);
    let postings = 0;
    let length = 0;
    for (let row = 0; row < rows; row++) {
      const pairs = all[row]!;
      let rowLength = 0;
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const id = pairs[i]!;
        if (id >= PAIR_ID_BASE ? id - PAIR_ID_BASE >= PAIR_BUCKETS : id > maxId) throw new RangeError(`row ${row} names term id ${id}, beyond the vocabulary`);
        offsets[slot(id) + 1]!++;
        // A chunk's length counts its terms; its pairs do not lengthen it.
        if (id < PAIR_ID_BASE) rowLength += pairs[i + 1]!;
      }
      postings += pairs.length >> 1;
      lengths[row] = rowLength;
      length += rowLength;
    }
    // Prefix sums: slot s's postings are [offsets[s], offsets[s + 1]).
    for (let t = 1; t < offsets.length; t++) offsets[t]! += offsets[t - 1]!;
    const postingRows = rows <= 0x10000 ? new Uint16Array(postings) : new Uint32Array(postings);
    const postingTf = new Uint8Array(postings);
    const fill = offsets.slice(0, -1);
    for (let row = 0; row < rows; row++) {
      const pairs = all[row]!;
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const at = fill[slot(pairs[i]!)]!++;
        postingRows[at] = row;
        const tf = pairs[i + 1]!;
        postingTf[at] = tf > 255 ? 255 : tf;
      }
    }
    return new LexicalIndex(rows, vocabulary, maxId, offsets, postingRows, postingTf, lengths, length);
  }

  /**
   * The document frequency of each query term, and the `depth` rows with the best BM25 score
   * under this shard's own statistics (each term's contribution times its weight, 1 by default),
   * each with its length and its frequency of each term.
   */
  search(terms: readonly string[], depth: number, weights?: readonly number[]): { df: number[]; hits: LexicalRowHit[] } {
    const { offsets, postingRows, postingTf, norms, scratch, touched } = this;
    // Slots; a term absent from the vocabulary, or added to it after this index was built, matches nothing here.
    const ids = terms.map((term) => {
      if (isPair(term)) return this.maxId + 1 + pairBucket(term);
      const id = this.vocabulary.get(term);
      return id === undefined || id > this.maxId ? undefined : id;
    });
    const df = ids.map((id) => (id === undefined ? 0 : offsets[id + 1]! - offsets[id]!));
    if (this.rows === 0) return { df, hits: [] };
    let touchedCount = 0;
    for (let t = 0; t < ids.length; t++) {
      const id = ids[t];
      if (id === undefined || df[t] === 0) continue;
      // BM25: idf * tf * (k1 + 1) / (tf + norm), with the constant factors folded into one weight.
      const weight = idf(this.rows, df[t]!) * (weights?.[t] ?? 1) * (BM25_K1 + 1);
      if (!(weight > 0)) continue;
      const end = offsets[id + 1]!;
      // Hot loop: one pass over the term's postings, summing into the rows' scores.
      for (let p = offsets[id]!; p < end; p++) {
        const row = postingRows[p]!;
        const tf = postingTf[p]!;
        if (scratch[row] === 0) touched[touchedCount++] = row;
        scratch[row]! += (weight * tf) / (tf + norms[row]!);
      }
    }
    const best = topK(scratch, depth, this.rows, touched.subarray(0, touchedCount));
    for (let i = 0; i < touchedCount; i++) scratch[touched[i]!] = 0;
    const hits = best.map(({ row }) => ({ row, length: this.lengths[row]!, tf: ids.map((id) => (id === undefined ? 0 : this.frequency(id, row))) }));
    return { df, hits };
  }

  /** How often the term of slot `id` occurs in `row` (binary search in its ascending postings). */
  private frequency(id: number, row: number): number {
    let lo = this.offsets[id]!;
    let hi = this.offsets[id + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.postingRows[mid]!;
      if (at === row) return this.postingTf[mid]!;
      if (at < row) lo = mid + 1;
      else hi = mid;
    }
    return 0;
  }

  /** Bytes held by the index's arrays (the vocabulary's strings are not counted). */
  get bytes(): number {
    return (
      this.offsets.byteLength +
      this.postingRows.byteLength +
      this.postingTf.byteLength +
      this.lengths.byteLength +
      this.norms.byteLength +
      this.scratch.byteLength +
      this.touched.byteLength
    );
  }
}
