/**
 * KnowledgeObject: one shard of the embedded knowledge index (see `engine/retrieval/shards.ts`),
 * in the object's SQLite. A thin shell: it serialises ingestions, holds the search index (dense
 * and lexical) in memory between searches, streams its ingestion events, and leaves chunking,
 * diffing, embedding and scoring to the engine modules.
 *
 * RPC: `ensureBundled` (shared shard: ingest the shipped documents on first use, idempotent and
 * safe to call concurrently), `upsertDocument`, `candidates` (the dense ranking for a query vector
 * and the lexical candidates with their raw counts, see `engine/retrieval/ranking.ts`), `count`.
 * HTTP `fetch`: `GET /events?after=N&follow=true|false`, the SSE stream.
 */
import { DurableObject } from "cloudflare:workers";
import { canonicalJson, sha256Hex } from "../engine/hash-chain";
import type { Embedder } from "../engine/ports";
import { DEFAULT_CHUNKING } from "../engine/retrieval/chunking";
import { MAX_DOCUMENT_CHUNKS, MAX_SHARD_CHUNKS, prepareDocument } from "../engine/retrieval/documents";
import type { DocumentInput } from "../engine/retrieval/documents";
import { ingest } from "../engine/retrieval/ingest";
import type { IngestRequest, IngestTotals, ShardMirror } from "../engine/retrieval/ingest";
import { knowledgeStreamId } from "../engine/retrieval/knowledge-log";
import { NO_LEXICAL_CANDIDATES, termCounts } from "../engine/retrieval/lexical";
import type { ShardCandidates } from "../engine/retrieval/ranking";
import { contextualText } from "../engine/retrieval/chunking";
import { SHARED_NAMESPACE } from "../engine/retrieval/shards";
import { sameEmbedder, tagOf } from "../engine/retrieval/vectors";
import type { EmbedderTag, TaggedVector } from "../engine/retrieval/vectors";
import { createEmbedder } from "../adapters/embedder";
import { VectorizeMirror } from "../adapters/vectorize";
import { BUNDLED_DOCUMENTS } from "../knowledge/bundled-docs";
import { apiSettings } from "../adapters/api-settings";
import { SseHub } from "./sse-hub";
import { loadShardIndex } from "./knowledge-index";
import type { ShardIndex } from "./knowledge-index";
import { KnowledgeStore, shardStore } from "./knowledge-store";
import type { StoredChunk } from "./knowledge-store";

export interface CandidateQuery {
  /** The query's terms (`lexicalQuery`), computed once by the caller so that every shard counts the same ones. */
  terms: string[];
  /** Each term's weight (aligned with `terms`; 1 when absent). */
  weights?: number[];
  /** The query's vector; without one the shard returns lexical candidates only (the Vectorize backend). */
  vector?: TaggedVector;
  /** How many candidates each ranking returns. */
  depth: number;
  /** How many dense candidates, if not `depth` (fewer when the dense ranking only fills in). */
  denseDepth?: number;
  /**
   * The dense ranking only fills the places the lexical one leaves (fused at weight 0): a shard
   * whose own lexical candidates already fill `denseDepth` places skips the dense scan, since the
   * merged lexical ranking then fills them too.
   */
  denseFillsIn?: boolean;
}

export type UpsertResult = { outcome: "ingested"; document_id: string; chunks: number } | { outcome: "refused"; reason: string };

export interface ShardResult extends ShardCandidates<StoredChunk> {
  /** The embedder whose vectors the shard holds; null while it holds none. */
  embedder: EmbedderTag | null;
}

export class KnowledgeObject extends DurableObject<Env> {
  private readonly store: KnowledgeStore;
  private readonly embedder: Embedder;
  private readonly hub: SseHub;
  /** Ingestions run one at a time: each reads the shard, awaits embeddings, then writes. */
  private writes: Promise<unknown> = Promise.resolve();
  private bundling: Promise<void> | null = null;
  /** Set once this instance has seen the shard hold the current bundle: later calls cost nothing. */
  private bundled = false;
  private index: ShardIndex | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new KnowledgeStore(ctx.storage.sql);
    this.embedder = createEmbedder(env);
    // A knowledge stream has no terminal event: a following subscriber stays until it leaves.
    this.hub = new SseHub({ page: (after, limit) => this.store.eventsAfter(after, limit), ended: () => false }, apiSettings(env).sse);
  }

  /** Ingests the shipped documents if this shard does not hold exactly the current bundle. */
  async ensureBundled(): Promise<void> {
    if (this.bundled) return;
    this.bundling ??= this.syncBundle()
      .then(() => {
        this.bundled = true;
      })
      .finally(() => {
        this.bundling = null;
      });
    return this.bundling;
  }

  /**
   * Adds or replaces a document in this shard (`namespace` names the shard, for chunk ids), unless
   * it splits into too many chunks or would overfill the shard: those are refusals, not errors.
   */
  async upsertDocument(namespace: string, input: DocumentInput): Promise<UpsertResult> {
    const doc = prepareDocument(namespace, input, "api", DEFAULT_CHUNKING);
    if (doc.chunks.length > MAX_DOCUMENT_CHUNKS) {
      return { outcome: "refused", reason: `the document splits into ${doc.chunks.length} chunks; at most ${MAX_DOCUMENT_CHUNKS} are allowed` };
    }
    if (this.store.count() + doc.chunks.length > MAX_SHARD_CHUNKS) {
      return { outcome: "refused", reason: `the tenant's embedded index would exceed ${MAX_SHARD_CHUNKS} chunks; use the Vectorize backend for more` };
    }
    await this.serialise({ source: "api", documents: [doc], prune: false }, namespace);
    return { outcome: "ingested", document_id: doc.document_id, chunks: doc.chunks.length };
  }

  /**
   * The shard's dense ranking and lexical candidates for a query, and the embedder the shard was
   * built with. Both are empty when the shard holds nothing, or when its embedder is not the
   * query vector's: then the caller raises `EmbedderMismatchError` on its side, where the error
   * keeps its class and fields (an error thrown across RPC arrives as a plain Error).
   */
  async candidates(query: CandidateQuery): Promise<ShardResult> {
    await this.bundledIfShared();
    const embedder = this.store.embedder();
    const empty = { embedder, dense: [], lexical: NO_LEXICAL_CANDIDATES, chunks: {} };
    if (embedder === null || (query.vector !== undefined && !sameEmbedder(embedder, query.vector))) return empty;
    const index = this.loadIndex(query.vector !== undefined ? embedder.dimensions : null);
    const { ids } = index;
    const found = index.lexical.search(query.terms, query.depth, query.weights);
    const denseDepth = query.denseDepth ?? query.depth;
    const skipDense = query.vector === undefined || index.dense === null || (query.denseFillsIn === true && found.hits.length >= denseDepth);
    const dense = skipDense || query.vector === undefined ? [] : (index.dense?.topK(query.vector.values, denseDepth) ?? []).map((r) => ({ id: ids[r.row] ?? "", score: r.score }));
    const hits = found.hits.map((h) => ({ id: ids[h.row] ?? "", length: h.length, tf: h.tf }));
    const lexical = { chunks: index.lexical.rows, length: index.lexical.length, df: found.df, hits };
    return { embedder, dense, lexical, chunks: this.store.chunks([...dense, ...hits].map((s) => s.id)) };
  }

  async count(): Promise<number> {
    await this.bundledIfShared();
    return this.store.count();
  }

  /** The shared shard answers only once it holds the bundle, so callers need no separate RPC for it. */
  private async bundledIfShared(): Promise<void> {
    if (!this.bundled && this.ctx.id.name === SHARED_NAMESPACE) await this.ensureBundled();
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET" || url.pathname !== "/events") return new Response("not found", { status: 404 });
    const after = Number(url.searchParams.get("after") ?? "0");
    if (!Number.isSafeInteger(after) || after < 0) return new Response("bad after", { status: 400 });
    return this.hub.subscribe(after, url.searchParams.get("follow") !== "false");
  }

  private async syncBundle(): Promise<void> {
    const documents = BUNDLED_DOCUMENTS.map((d) => prepareDocument(SHARED_NAMESPACE, d, "bundled", DEFAULT_CHUNKING));
    const bundleHash = sha256Hex(canonicalJson({ embedder: tagOf(this.embedder), docs: documents.map((d) => d.content_hash) }));
    if (this.store.meta("bundle_hash") === bundleHash) return;
    await this.serialise(
      { source: "bundled", documents, prune: true, onCommitted: () => this.store.setMeta("bundle_hash", bundleHash) },
      SHARED_NAMESPACE,
    );
  }

  /**
   * The in-memory index, loaded on first use after a change; with vectors unless `dimensions` is
   * null (kept if it has them anyway). Chunks stored by an older version without term counts get
   * them first, in one transaction.
   */
  private loadIndex(dimensions: number | null): ShardIndex {
    if (this.index !== null && (dimensions === null || this.index.dense !== null)) return this.index;
    const count = (title: string, chunk: { heading_path: string[]; text: string; ordinal: number }) => termCounts(contextualText(title, chunk)).counts;
    try {
      this.ctx.storage.transactionSync(() => this.store.backfillTerms(count));
    } catch (error) {
      this.store.forgetTerms();
      throw error;
    }
    this.index = loadShardIndex(this.store, dimensions);
    return this.index;
  }

  private serialise(request: IngestRequest, namespace: string): Promise<IngestTotals> {
    const run = this.writes.then(() => this.ingest(request, namespace));
    this.writes = run.catch(() => {});
    return run;
  }

  private async ingest(request: IngestRequest, namespace: string): Promise<IngestTotals> {
    const store = shardStore(this.store, this.ctx.storage, knowledgeStreamId(namespace), (rows) => this.hub.publish(rows));
    // The in-memory index goes stale if anything was written (or may have been, on a failure).
    let changed = true;
    try {
      const totals = await ingest({ store, embedder: this.embedder, mirror: this.mirror(namespace), now: () => Date.now() }, request);
      changed = totals.chunks_added + totals.chunks_removed > 0;
      return totals;
    } finally {
      if (changed) this.index = null;
    }
  }

  private mirror(namespace: string): ShardMirror | undefined {
    if (this.env.RETRIEVAL_BACKEND !== "vectorize") return undefined;
    if (this.env.VECTORIZE === undefined) throw new Error("RETRIEVAL_BACKEND=vectorize needs a VECTORIZE binding");
    return new VectorizeMirror(this.env.VECTORIZE, namespace);
  }
}
