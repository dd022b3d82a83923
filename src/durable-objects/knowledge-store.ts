/**
 * The SQLite schema and queries of one knowledge shard: documents, chunks with their vectors
 * (Float32 blobs, 4 bytes a dimension) and their term counts (for the in-memory lexical index,
 * see `knowledge-index.ts`), the shard's term vocabulary, the embedder the shard was built with,
 * and the shard's event log. Every method is synchronous; `applyDocument` and `appendEvents` run
 * inside the caller's transaction. Rows read back are parsed, never trusted as-is.
 *
 * Term counts are stored as little-endian uint32 pairs `[termId, tf, ...]` with ids from the
 * `vocab` table, so that loading a shard's lexical index reads numbers, not text to re-analyse
 * (analysing 20,000 chunks takes about two seconds; decoding their counts, a few milliseconds).
 */
import { z } from "zod";
import type { ChunkRef } from "../engine/events";
import type { DocumentSource, IngestionPlan, PreparedDocument } from "../engine/retrieval/documents";
import type { ShardStore } from "../engine/retrieval/ingest";
import type { KnowledgeEventRow, KnowledgeLogHead } from "../engine/retrieval/knowledge-log";
import { EMPTY_KNOWLEDGE_HEAD, prepareKnowledgeAppend } from "../engine/retrieval/knowledge-log";
import { isPair, pairBucket } from "../engine/retrieval/lexical";
import { PAIR_ID_BASE } from "../engine/retrieval/lexical-index";
import { EmbedderTag, toBlob } from "../engine/retrieval/vectors";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS documents (
     document_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, content_hash TEXT NOT NULL,
     metadata TEXT NOT NULL, chunk_count INTEGER NOT NULL, updated_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS chunks (
     rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
     heading_path TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL, terms BLOB)`,
  `CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (document_id)`,
  `CREATE TABLE IF NOT EXISTS vocab (id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE)`,
  // Shards written before the lexical index moved into memory had an FTS5 table and no counts.
  `DROP TABLE IF EXISTS chunks_fts`,
  `CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, json TEXT NOT NULL, hash TEXT NOT NULL)`,
];

const ChunkRow = z.object({
  id: z.string(),
  document_id: z.string(),
  ordinal: z.number(),
  heading_path: z.string(),
  text: z.string(),
  title: z.string(),
  source: z.string(),
  metadata: z.string(),
});
const EventRow = z.object({
  seq: z.number(),
  type: z.enum(["knowledge.ingestion.started", "knowledge.ingestion.completed"]),
  json: z.string(),
  hash: z.string(),
});
const StringList = z.array(z.string());
const BackfillRow = z.object({ rid: z.number(), heading_path: z.string(), text: z.string(), ordinal: z.number(), title: z.string() });
const Scalars = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** Chunk metadata values: scalars and the heading path (serialisable over RPC, storable in Vectorize). */
export type ChunkMetadata = Record<string, string | number | boolean | string[]>;

/** A chunk as search returns it, before scoring (a `ChunkRef` without its score). */
export interface StoredChunk extends Omit<ChunkRef, "score" | "metadata"> {
  metadata: ChunkMetadata;
}

/** A chunk row as the in-memory index loads it. */
export interface IndexRow {
  id: string;
  vector: ArrayBuffer | null;
  terms: ArrayBuffer;
}

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Term counts as stored: uint32 pairs `[termId, tf, ...]`, little-endian. */
export function encodeTerms(pairs: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(pairs.length * 4);
  const view = new DataView(bytes.buffer);
  pairs.forEach((n, i) => view.setUint32(i * 4, n, true));
  return bytes;
}

export function decodeTerms(blob: ArrayBuffer): Uint32Array {
  if (blob.byteLength % 8 !== 0) throw new RangeError(`stored term counts have ${blob.byteLength} bytes, not a multiple of 8`);
  if (LITTLE_ENDIAN) return new Uint32Array(blob);
  const view = new DataView(blob);
  return Uint32Array.from({ length: blob.byteLength / 4 }, (_, i) => view.getUint32(i * 4, true));
}

export class KnowledgeStore {
  /** The vocabulary (term → id), read on first use; dropped when a write that added to it rolls back. */
  private vocabulary: Map<string, number> | null = null;

  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
    const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('chunks')").toArray();
    if (!columns.some((c) => c.name === "terms")) {
      // A shard of the FTS5 version: its chunks get their counts before the index next loads.
      sql.exec("ALTER TABLE chunks ADD COLUMN terms BLOB");
      this.setMeta("terms_backfill", "pending");
    }
  }

  meta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value);
  }

  /** The embedder whose vectors the shard holds; null while it holds none. */
  embedder(): EmbedderTag | null {
    const value = this.meta("embedder");
    return value === null ? null : EmbedderTag.parse(JSON.parse(value));
  }

  setEmbedder(tag: EmbedderTag): void {
    this.setMeta("embedder", JSON.stringify(tag));
  }

  documentHash(documentId: string): string | null {
    const row = this.sql.exec<{ h: string }>("SELECT content_hash AS h FROM documents WHERE document_id = ?", documentId).toArray()[0];
    return row?.h ?? null;
  }

  documentIds(source: DocumentSource): string[] {
    return this.sql.exec<{ d: string }>("SELECT document_id AS d FROM documents WHERE source = ? ORDER BY d", source).toArray().map((r) => r.d);
  }

  chunkIds(documentId: string): string[] {
    return this.sql.exec<{ id: string }>("SELECT id FROM chunks WHERE document_id = ?", documentId).toArray().map((r) => r.id);
  }

  count(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunks").one().n;
  }

  /** Writes a document's new chunks, drops its stale ones and records it. `vectors` and `terms` cover `plan.add`. */
  applyDocument(doc: PreparedDocument, plan: IngestionPlan, vectors: Map<string, Float32Array>, terms: Map<string, Map<string, number>>, nowIso: string): void {
    this.deleteChunks(plan.remove);
    for (const chunk of plan.add) {
      const vector = vectors.get(chunk.id);
      const counts = terms.get(chunk.id);
      if (vector === undefined || counts === undefined) throw new Error(`no vector or term counts for chunk ${chunk.id}`);
      this.sql.exec(
        "INSERT INTO chunks (id, document_id, ordinal, heading_path, text, vector, terms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        chunk.id, doc.document_id, chunk.ordinal, JSON.stringify(chunk.heading_path), chunk.text, toBlob(vector), this.encodeCounts(counts),
      );
    }
    for (const chunk of plan.keep) this.sql.exec("UPDATE chunks SET ordinal = ? WHERE id = ?", chunk.ordinal, chunk.id);
    this.sql.exec(
      `INSERT INTO documents (document_id, title, source, content_hash, metadata, chunk_count, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (document_id) DO UPDATE SET title = excluded.title, source = excluded.source, content_hash = excluded.content_hash,
         metadata = excluded.metadata, chunk_count = excluded.chunk_count, updated_at = excluded.updated_at`,
      doc.document_id, doc.title, doc.source, doc.content_hash, JSON.stringify(doc.metadata), doc.chunks.length, nowIso,
    );
  }

  /** Removes a document and all its chunks; returns how many chunks went. */
  removeDocument(documentId: string): number {
    const ids = this.chunkIds(documentId);
    this.deleteChunks(ids);
    this.sql.exec("DELETE FROM documents WHERE document_id = ?", documentId);
    return ids.length;
  }

  private deleteChunks(ids: string[]): void {
    for (const id of ids) this.sql.exec("DELETE FROM chunks WHERE id = ?", id);
  }

  /** The vocabulary, term → id. */
  terms(): ReadonlyMap<string, number> {
    if (this.vocabulary === null) {
      const rows = this.sql.exec<{ id: number; term: string }>("SELECT id, term FROM vocab").toArray();
      this.vocabulary = new Map(rows.map((r) => [r.term, r.id]));
    }
    return this.vocabulary;
  }

  /**
   * Forgets the in-memory vocabulary: called when a transaction that may have added terms rolls
   * back, so that no id of a term whose row was never committed is reused.
   */
  forgetTerms(): void {
    this.vocabulary = null;
  }

  /** A chunk's term counts as stored, adding new terms to the vocabulary (pairs are hashed, not stored). */
  private encodeCounts(counts: Map<string, number>): Uint8Array {
    this.terms();
    const vocabulary = this.vocabulary ?? new Map<string, number>();
    const pairs: number[] = [];
    for (const [term, tf] of counts) {
      if (isPair(term)) {
        pairs.push(PAIR_ID_BASE + pairBucket(term), tf);
        continue;
      }
      let id = vocabulary.get(term);
      if (id === undefined) {
        id = this.sql.exec<{ id: number }>("INSERT INTO vocab (term) VALUES (?) RETURNING id", term).one().id;
        vocabulary.set(term, id);
      }
      pairs.push(id, tf);
    }
    return encodeTerms(pairs);
  }

  /**
   * Chunks written before term counts were stored (by a version that indexed them with FTS5):
   * counts them now and stores the counts, once. Returns how many were filled in.
   */
  backfillTerms(count: (title: string, chunk: { heading_path: string[]; text: string; ordinal: number }) => Map<string, number>): number {
    // Checked by a flag, not by a scan: `terms IS NULL` reads past every row's vector blob.
    if (this.meta("terms_backfill") === null) return 0;
    const rows = this.sql
      .exec(`SELECT c.rid, c.heading_path, c.text, c.ordinal, d.title FROM chunks c JOIN documents d ON d.document_id = c.document_id WHERE c.terms IS NULL`)
      .toArray()
      .map((r) => BackfillRow.parse(r));
    for (const row of rows) {
      const chunk = { heading_path: StringList.parse(JSON.parse(row.heading_path)), text: row.text, ordinal: row.ordinal };
      this.sql.exec("UPDATE chunks SET terms = ? WHERE rid = ?", this.encodeCounts(count(row.title, chunk)), row.rid);
    }
    this.sql.exec("DELETE FROM meta WHERE key = 'terms_backfill'");
    return rows.length;
  }

  /**
   * The chunk rows in index order (by rid), with their vectors when `vectors` is set. Each row is
   * checked field by field (the index reads every row of the shard at once, 20,000 at most, where
   * a zod parse per row cost a quarter of the load).
   */
  indexRows(vectors: boolean): Iterable<IndexRow> {
    const cursor = this.sql.exec(vectors ? "SELECT id, vector, terms FROM chunks ORDER BY rid" : "SELECT id, NULL AS vector, terms FROM chunks ORDER BY rid");
    return (function* () {
      for (const { id, vector, terms } of cursor) {
        if (typeof id !== "string" || !(terms instanceof ArrayBuffer) || !(vector === null || vector instanceof ArrayBuffer)) {
          throw new TypeError(`a stored chunk row is malformed (id ${String(id)})`);
        }
        yield { id, vector, terms };
      }
    })();
  }

  chunks(ids: string[]): Record<string, StoredChunk> {
    const out: Record<string, StoredChunk> = {};
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 50) {
      const batch = unique.slice(i, i + 50);
      const rows = this.sql
        .exec(
          `SELECT c.id, c.document_id, c.ordinal, c.heading_path, c.text, d.title, d.source, d.metadata
           FROM chunks c JOIN documents d ON d.document_id = c.document_id WHERE c.id IN (${batch.map(() => "?").join(", ")})`,
          ...batch,
        )
        .toArray();
      for (const raw of rows) {
        const row = ChunkRow.parse(raw);
        out[row.id] = {
          id: row.id,
          text: row.text,
          metadata: {
            ...Scalars.parse(JSON.parse(row.metadata)),
            document_id: row.document_id,
            title: row.title,
            heading_path: StringList.parse(JSON.parse(row.heading_path)),
            ordinal: row.ordinal,
            origin: row.source,
          },
        };
      }
    }
    return out;
  }

  head(): KnowledgeLogHead {
    const row = this.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").toArray()[0];
    return row ?? EMPTY_KNOWLEDGE_HEAD;
  }

  appendEvents(rows: KnowledgeEventRow[]): void {
    for (const row of rows) this.sql.exec("INSERT INTO events (seq, type, json, hash) VALUES (?, ?, ?, ?)", row.seq, row.type, row.json, row.hash);
  }

  eventsAfter(after: number, limit: number): KnowledgeEventRow[] {
    return this.sql
      .exec("SELECT seq, type, json, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
      .toArray()
      .map((r) => EventRow.parse(r));
  }
}

/**
 * The engine's `ShardStore` over a shard's SQLite: transactions are the object's synchronous
 * transactions, and the events a transaction appends go to `publish` once it has committed
 * (persist first, then broadcast), never when it rolls back.
 */
export function shardStore(store: KnowledgeStore, storage: DurableObjectStorage, streamId: string, publish: (rows: KnowledgeEventRow[]) => void): ShardStore {
  let pending: KnowledgeEventRow[] = [];
  return {
    transaction: <T>(fn: () => T): T => {
      pending = [];
      try {
        const result = storage.transactionSync(fn);
        publish(pending);
        return result;
      } catch (error) {
        store.forgetTerms();
        throw error;
      } finally {
        pending = [];
      }
    },
    embedder: () => store.embedder(),
    setEmbedder: (tag) => store.setEmbedder(tag),
    documentHash: (id) => store.documentHash(id),
    documentIds: (source) => store.documentIds(source),
    chunkIds: (id) => store.chunkIds(id),
    applyDocument: (doc, plan, vectors, terms, nowIso) => store.applyDocument(doc, plan, vectors, terms, nowIso),
    removeDocument: (id) => store.removeDocument(id),
    append: (events) => {
      const { rows } = prepareKnowledgeAppend(store.head(), streamId, events, new Date().toISOString());
      store.appendEvents(rows);
      pending.push(...rows);
    },
  };
}
