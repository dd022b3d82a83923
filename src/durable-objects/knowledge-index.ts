/**
 * A shard's in-memory search index, loaded from its SQLite rows in one pass: the chunk ids in row
 * order, the dense index (unless the vectors live elsewhere, in Vectorize) and the lexical index.
 * The KnowledgeObject keeps one between searches and drops it when an ingestion changes the shard.
 *
 * Memory, per 10,000 chunks with the local embedder (512 dimensions): about 5 MB of int8 vectors,
 * 2.5 MB of postings and the ids' and terms' strings, against 20 MB of Float32 vectors before.
 */
import { DenseIndex } from "../engine/retrieval/dense-index";
import { LexicalIndex } from "../engine/retrieval/lexical-index";
import type { KnowledgeStore } from "./knowledge-store";
import { decodeTerms } from "./knowledge-store";

export interface ShardIndex {
  ids: string[];
  /** Null when loaded without vectors. */
  dense: DenseIndex | null;
  lexical: LexicalIndex;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

function floats(blob: ArrayBuffer, dimensions: number): Float32Array {
  if (blob.byteLength !== dimensions * 4) throw new RangeError(`a stored vector has ${blob.byteLength} bytes, expected ${dimensions * 4}`);
  if (LITTLE_ENDIAN) return new Float32Array(blob);
  const view = new DataView(blob);
  return Float32Array.from({ length: dimensions }, (_, i) => view.getFloat32(i * 4, true));
}

/** Loads the index; `dimensions` null loads no vectors (the dense ranking comes from Vectorize). */
export function loadShardIndex(store: KnowledgeStore, dimensions: number | null): ShardIndex {
  const rows = store.count();
  const ids: string[] = [];
  const counts: Uint32Array[] = [];
  // Vectors are quantised as they stream in: their Float32 copies are never all held at once.
  const dense = dimensions === null ? null : DenseIndex.builder(rows, dimensions);
  for (const row of store.indexRows(dense !== null)) {
    if (dense !== null && dimensions !== null) {
      if (row.vector === null) throw new Error(`chunk ${row.id} has no vector`);
      dense.add(floats(row.vector, dimensions));
    }
    ids.push(row.id);
    counts.push(decodeTerms(row.terms));
  }
  if (ids.length !== rows) throw new Error(`the shard's chunks changed while its index loaded (${rows} counted, ${ids.length} read)`);
  return { ids, dense: dense?.build() ?? null, lexical: LexicalIndex.build(ids.length, store.terms(), (row) => counts[row] ?? []) };
}
