/**
 * The SQLite schema and queries of one knowledge shard: documents, chunks with their vectors
 * (Float32 blobs, 4 bytes a dimension), an FTS5 table over the chunks' contextual text (rowid =
 * the chunk's rowid), the embedder the shard was built with, and the shard's event log. Every
 * method is synchronous; `applyDocument` and `appendEvents` run inside the caller's transaction.
 * Rows read back are parsed, never trusted as-is.
 */
import { z } from "zod";
import type { ChunkRef } from "../engine/events";
import type { DocumentSource, IngestionPlan, PreparedDocument } from "../engine/retrieval/documents";
import { contextualText } from "../engine/retrieval/chunking";
import type { ShardStore } from "../engine/retrieval/ingest";
import type { KnowledgeEventRow, KnowledgeLogHead } from "../engine/retrieval/knowledge-log";
import { EMPTY_KNOWLEDGE_HEAD, prepareKnowledgeAppend } from "../engine/retrieval/knowledge-log";
import type { Scored } from "../engine/retrieval/ranking";
import { EmbedderTag, fromBlob, toBlob } from "../engine/retrieval/vectors";

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS documents (
     document_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, content_hash TEXT NOT NULL,
     metadata TEXT NOT NULL, chunk_count INTEGER NOT NULL, updated_at TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS chunks (
     rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
     heading_path TEXT NOT NULL, text TEXT NOT NULL, vector BLOB NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks (document_id)`,
  `CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (body, tokenize = 'porter unicode61 remove_diacritics 2')`,
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
const Scalars = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** Chunk metadata values: scalars and the heading path (serialisable over RPC, storable in Vectorize). */
export type ChunkMetadata = Record<string, string | number | boolean | string[]>;

/** A chunk as search returns it, before scoring (a `ChunkRef` without its score). */
export interface StoredChunk extends Omit<ChunkRef, "score" | "metadata"> {
  metadata: ChunkMetadata;
}

export interface DenseIndex {
  ids: string[];
  matrix: Float32Array;
  dimensions: number;
}

export class KnowledgeStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
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

  /** Writes a document's new chunks, drops its stale ones and records it. `vectors` covers `plan.add`. */
  applyDocument(doc: PreparedDocument, plan: IngestionPlan, vectors: Map<string, Float32Array>, nowIso: string): void {
    this.deleteChunks(plan.remove);
    for (const chunk of plan.add) {
      const vector = vectors.get(chunk.id);
      if (vector === undefined) throw new Error(`no vector for chunk ${chunk.id}`);
      const rid = this.sql
        .exec<{ rid: number }>(
          "INSERT INTO chunks (id, document_id, ordinal, heading_path, text, vector) VALUES (?, ?, ?, ?, ?, ?) RETURNING rid",
          chunk.id, doc.document_id, chunk.ordinal, JSON.stringify(chunk.heading_path), chunk.text, toBlob(vector),
        )
        .one().rid;
      this.sql.exec("INSERT INTO chunks_fts (rowid, body) VALUES (?, ?)", rid, contextualText(doc.title, chunk));
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
    for (const id of ids) {
      const row = this.sql.exec<{ rid: number }>("DELETE FROM chunks WHERE id = ? RETURNING rid", id).toArray()[0];
      if (row !== undefined) this.sql.exec("DELETE FROM chunks_fts WHERE rowid = ?", row.rid);
    }
  }

  /** Every vector as one row-major matrix, for brute-force cosine search. */
  loadDense(dimensions: number): DenseIndex {
    const rows = this.sql.exec<{ id: string; vector: ArrayBuffer }>("SELECT id, vector FROM chunks ORDER BY rid").toArray();
    const matrix = new Float32Array(rows.length * dimensions);
    const ids: string[] = [];
    rows.forEach((row, i) => {
      ids.push(row.id);
      matrix.set(fromBlob(row.vector, dimensions), i * dimensions);
    });
    return { ids, matrix, dimensions };
  }

  /**
   * BM25 ranking of chunks for an FTS5 MATCH expression, best first (score = -bm25, higher is
   * better). The top rows are picked inside FTS5 (`ORDER BY rank LIMIT`) before the join, so a
   * query of common words does not join every matching chunk.
   */
  lexical(match: string, limit: number): Scored[] {
    return this.sql
      .exec<{ id: string; s: number }>(
        `SELECT c.id AS id, f.s AS s FROM
           (SELECT rowid, rank AS s FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?) f
         JOIN chunks c ON c.rid = f.rowid ORDER BY f.s`,
        match, limit,
      )
      .toArray()
      .map((r) => ({ id: r.id, score: -r.s }));
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
      } finally {
        pending = [];
      }
    },
    embedder: () => store.embedder(),
    setEmbedder: (tag) => store.setEmbedder(tag),
    documentHash: (id) => store.documentHash(id),
    documentIds: (source) => store.documentIds(source),
    chunkIds: (id) => store.chunkIds(id),
    applyDocument: (doc, plan, vectors, nowIso) => store.applyDocument(doc, plan, vectors, nowIso),
    removeDocument: (id) => store.removeDocument(id),
    append: (events) => {
      const { rows } = prepareKnowledgeAppend(store.head(), streamId, events, new Date().toISOString());
      store.appendEvents(rows);
      pending.push(...rows);
    },
  };
}
