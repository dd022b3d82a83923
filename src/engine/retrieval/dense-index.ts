/**
 * The in-memory dense index of one shard: brute-force inner product over unit vectors, which is
 * cosine similarity. Built once from the stored Float32 vectors and kept between searches.
 *
 * Layout, chosen for the search loop and for memory:
 * - dimension-major ("columns"): the scores of all rows are accumulated one query dimension at a
 *   time, a sequential pass over memory, and dimensions where the query is zero are skipped (a
 *   short question embeds into few of the local embedder's dimensions);
 * - 8-bit: each row is scaled by its largest absolute component and rounded to int8, with the
 *   scale kept per row. A quarter of Float32's memory (512 bytes a chunk at 512 dimensions), so the
 *   lexical index fits beside it within the old budget; the rounding error (at most half a step of
 *   1/127 of the row's largest component) moves a cosine by about 0.001, far below the gaps that
 *   decide a ranking (the retrieval eval is unchanged by it).
 */
import { topK } from "./top-k";
import type { RowScore } from "./top-k";

export class DenseIndex {
  private readonly scratch: Float32Array;

  private constructor(
    readonly rows: number,
    readonly dimensions: number,
    private readonly columns: Int8Array,
    private readonly scales: Float32Array,
  ) {
    this.scratch = new Float32Array(rows);
  }

  /**
   * A builder for an index of `rows` rows: `set(row, values)` quantises one row (so a caller can
   * stream rows from storage without holding their Float32 copies), `build()` ends it.
   */
  static builder(rows: number, dimensions: number): { set(row: number, values: ArrayLike<number>): void; build(): DenseIndex } {
    const columns = new Int8Array(rows * dimensions);
    const scales = new Float32Array(rows);
    return {
      set(row, values) {
        if (!(row >= 0 && row < rows)) throw new RangeError(`row ${row} is outside 0..${rows - 1}`);
        if (values.length !== dimensions) throw new RangeError(`row ${row} has ${values.length} dimensions, expected ${dimensions}`);
        let max = 0;
        for (let d = 0; d < dimensions; d++) max = Math.max(max, Math.abs(values[d]!));
        scales[row] = max / 127;
        for (let d = 0; d < dimensions; d++) columns[d * rows + row] = max === 0 ? 0 : Math.round((values[d]! * 127) / max);
      },
      build: () => new DenseIndex(rows, dimensions, columns, scales),
    };
  }

  /** Builds the index from `rows` vectors given row by row (`vector(i)` is row i's values). */
  static build(rows: number, dimensions: number, vector: (row: number) => ArrayLike<number>): DenseIndex {
    const builder = DenseIndex.builder(rows, dimensions);
    for (let row = 0; row < rows; row++) builder.set(row, vector(row));
    return builder.build();
  }

  /** The `k` rows with the highest inner product with `query` (a unit vector), best first. */
  topK(query: ArrayLike<number>, k: number): RowScore[] {
    const { rows, columns, scratch } = this;
    if (query.length !== this.dimensions) throw new RangeError(`the query has ${query.length} dimensions, expected ${this.dimensions}`);
    scratch.fill(0);
    for (let d = 0; d < this.dimensions; d++) {
      const weight = query[d]!;
      if (weight === 0) continue;
      const base = d * rows;
      // Hot loop: a sequential multiply-add over one column.
      for (let row = 0; row < rows; row++) scratch[row]! += weight * columns[base + row]!;
    }
    for (let row = 0; row < rows; row++) scratch[row]! *= this.scales[row]!;
    return topK(scratch, k, rows);
  }

  /** Bytes held by the index's arrays (for the memory budget). */
  get bytes(): number {
    return this.columns.byteLength + this.scales.byteLength + this.scratch.byteLength;
  }
}
