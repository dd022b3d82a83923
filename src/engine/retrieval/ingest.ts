/**
 * Ingestion into one knowledge shard, written against ports so that the Durable Object stays a
 * thin shell: chunk and identify (pure), diff against what the shard holds, embed and count the
 * terms of only the new chunks, mirror the diff (Vectorize, when configured), then commit the
 * document and its events.
 *
 * Contracts:
 * - An unchanged document (same content hash) is not re-chunked, re-embedded or rewritten.
 * - A changed document keeps the chunks whose content did not change and replaces the rest.
 * - `knowledge.ingestion.started` is committed before the work, `.completed` with its last write;
 *   each document is committed in its own transaction, so a crash leaves whole documents only.
 * - A shard holds vectors of one embedder: ingesting with another one is an `EmbedderMismatchError`.
 */
import type { Embedder } from "../ports";
import { contextualText } from "./chunking";
import { planIngestion } from "./documents";
import type { DocumentSource, IngestionPlan, PreparedDocument } from "./documents";
import type { KnowledgeEvent } from "./knowledge-log";
import { termCounts } from "./lexical";
import { assertSameEmbedder, embedTagged, tagOf } from "./vectors";
import type { EmbedderTag } from "./vectors";

/** The shard's storage, synchronous; `transaction` runs its function atomically. */
export interface ShardStore {
  transaction<T>(fn: () => T): T;
  embedder(): EmbedderTag | null;
  setEmbedder(tag: EmbedderTag): void;
  documentHash(documentId: string): string | null;
  documentIds(source: DocumentSource): string[];
  chunkIds(documentId: string): string[];
  /** `vectors` and `terms` (each chunk's term counts, for the lexical index) cover `plan.add`. */
  applyDocument(doc: PreparedDocument, plan: IngestionPlan, vectors: Map<string, Float32Array>, terms: Map<string, Map<string, number>>, nowIso: string): void;
  removeDocument(documentId: string): number;
  /** Appends events to the shard's stream (inside the caller's transaction). */
  append(events: KnowledgeEvent[]): void;
}

/** Applies an ingestion's diff elsewhere before the shard commits it (idempotent, may throw). */
export interface ShardMirror {
  write(doc: PreparedDocument, tag: EmbedderTag, plan: IngestionPlan, vectors: Map<string, Float32Array>): Promise<void>;
  remove(tag: EmbedderTag, chunkIds: string[]): Promise<void>;
}

export interface IngestDeps {
  store: ShardStore;
  embedder: Embedder;
  mirror?: ShardMirror;
  now: () => number;
}

export interface IngestRequest {
  source: DocumentSource;
  documents: PreparedDocument[];
  /** Also remove the shard's documents of this source that are not in `documents` (bundle sync). */
  prune: boolean;
  /** Written in the same transaction as the completed event (e.g. the bundle's hash). */
  onCommitted?: () => void;
}

export interface IngestTotals {
  documents: number;
  chunks_added: number;
  chunks_removed: number;
  chunks_unchanged: number;
}

export async function ingest(deps: IngestDeps, request: IngestRequest): Promise<IngestTotals> {
  const { store, embedder, mirror, now } = deps;
  const tag = tagOf(embedder);
  const held = store.embedder();
  if (held !== null) assertSameEmbedder(held, tag);

  const startedAt = now();
  const ids = request.documents.map((d) => d.document_id);
  store.transaction(() => store.append([{ type: "knowledge.ingestion.started", data: { source: request.source, document_ids: ids } }]));

  const totals: IngestTotals = { documents: request.documents.length, chunks_added: 0, chunks_removed: 0, chunks_unchanged: 0 };
  for (const doc of request.documents) {
    if (store.documentHash(doc.document_id) === doc.content_hash) {
      totals.chunks_unchanged += doc.chunks.length;
      continue;
    }
    const plan = planIngestion(store.chunkIds(doc.document_id), doc.chunks);
    const embedded = await embedTagged(embedder, plan.add.map((c) => contextualText(doc.title, c)));
    const vectors = new Map(plan.add.map((c, i) => [c.id, embedded[i]?.values ?? new Float32Array(0)]));
    const terms = new Map(plan.add.map((c) => [c.id, termCounts(contextualText(doc.title, c)).counts]));
    await mirror?.write(doc, tag, plan, vectors);
    store.transaction(() => {
      store.setEmbedder(tag);
      store.applyDocument(doc, plan, vectors, terms, new Date(now()).toISOString());
    });
    totals.chunks_added += plan.add.length;
    totals.chunks_removed += plan.remove.length;
    totals.chunks_unchanged += plan.keep.length;
  }

  if (request.prune) {
    const keep = new Set(ids);
    for (const stale of store.documentIds(request.source).filter((id) => !keep.has(id))) {
      await mirror?.remove(tag, store.chunkIds(stale));
      totals.chunks_removed += store.transaction(() => store.removeDocument(stale));
    }
  }

  store.transaction(() => {
    store.append([{ type: "knowledge.ingestion.completed", data: { source: request.source, ...totals, duration_ms: Math.max(0, now() - startedAt) } }]);
    request.onCommitted?.();
  });
  return totals;
}
