/**
 * The Vectorize backend (production scale). One Vectorize namespace per shard, the same shards
 * as the embedded index: `shared` for the bundled documents and `tenant:<id>` for each tenant's
 * private ones. A search ranks as the embedded index does (engine/retrieval/ranking.ts): the dense
 * ranking from Vectorize, merged across the namespaces by cosine (comparable: one embedder), and
 * the lexical ranking from the shards' ledgers (BM25 with statistics over the shards together),
 * fused by `fuseShards`. Each vector's metadata carries the document id, title, heading path,
 * chunk text and the embedder's id, so a dense match needs no second lookup and a vector of
 * another embedder is detected rather than mis-scored.
 *
 * Writes: the KnowledgeObject stays the ledger of documents and chunk ids (idempotence,
 * replacement, events); `VectorizeMirror` applies each ingestion's diff to Vectorize before the
 * ledger commits it, and both upsert and delete are idempotent, so a failure between the two
 * is repaired by ingesting again.
 */
import { z } from "zod";
import type { ChunkRef } from "../engine/events";
import type { Embedder, Retriever, SearchQuery } from "../engine/ports";
import type { IngestionPlan, PreparedDocument } from "../engine/retrieval/documents";
import type { ShardMirror } from "../engine/retrieval/ingest";
import { NO_LEXICAL_CANDIDATES, lexicalQuery } from "../engine/retrieval/lexical";
import type { LexicalCandidates } from "../engine/retrieval/lexical";
import { candidateDepth, denseWeight, fuseShards } from "../engine/retrieval/ranking";
import type { FusionMode, ShardCandidates } from "../engine/retrieval/ranking";
import { EmbedderMismatchError, embedTagged } from "../engine/retrieval/vectors";
import type { EmbedderTag } from "../engine/retrieval/vectors";

/** The part of a `VectorizeIndex` (or `Vectorize`) binding this adapter uses. */
export interface VectorizeLike {
  query(vector: Float32Array | number[], options?: VectorizeQueryOptions): Promise<VectorizeMatches>;
  upsert(vectors: VectorizeVector[]): Promise<unknown>;
  deleteByIds(ids: string[]): Promise<unknown>;
}

const BATCH = 500;

/** Mirrors one shard's ingestion diffs into its Vectorize namespace. */
export class VectorizeMirror implements ShardMirror {
  constructor(
    private readonly index: VectorizeLike,
    private readonly namespace: string,
  ) {}

  async write(doc: PreparedDocument, tag: EmbedderTag, plan: IngestionPlan, vectors: Map<string, Float32Array>): Promise<void> {
    const upserts: VectorizeVector[] = plan.add.map((chunk) => ({
      id: chunk.id,
      namespace: this.namespace,
      values: vectors.get(chunk.id) ?? new Float32Array(0),
      // Our keys last: a document's own metadata cannot overwrite them.
      metadata: {
        ...doc.metadata,
        document_id: doc.document_id,
        title: doc.title,
        heading_path: chunk.heading_path,
        ordinal: chunk.ordinal,
        origin: doc.source,
        text: chunk.text,
        embedder: tag.embedder,
        dimensions: tag.dimensions,
      },
    }));
    for (let i = 0; i < upserts.length; i += BATCH) await this.index.upsert(upserts.slice(i, i + BATCH));
    await this.remove(tag, plan.remove);
  }

  async remove(_tag: EmbedderTag, chunkIds: string[]): Promise<void> {
    for (let i = 0; i < chunkIds.length; i += BATCH) await this.index.deleteByIds(chunkIds.slice(i, i + BATCH));
  }
}

const MatchMetadata = z
  .object({
    document_id: z.string(),
    text: z.string(),
    embedder: z.string(),
    dimensions: z.number(),
  })
  .passthrough();

/** A chunk as a search returns it, before its fused score. */
type FoundChunk = Omit<ChunkRef, "score">;

/** A shard's lexical candidates, from its ledger (the KnowledgeObject's `candidates` without a vector). */
export type LexicalSource = (
  namespace: string,
  query: { terms: string[]; weights: number[]; depth: number },
) => Promise<{ lexical: LexicalCandidates; chunks: Record<string, FoundChunk> }>;

export interface VectorizeRetrieverOptions {
  /** Namespaces a tenant's search covers, in order (shared first). */
  namespaces: (tenantId: string) => string[];
  /** Chunks a tenant can see (Vectorize cannot count per namespace; the ledger can). */
  count: (tenantId: string) => Promise<number>;
  /** Runs before every search: ingests the bundled documents on first use. */
  prepare?: () => Promise<void>;
  /** The lexical ranking's source; without one the ranking is Vectorize's dense one alone. */
  lexical?: LexicalSource;
  /** The ranking to return (the evaluation compares them); `hybrid` by default. */
  mode?: FusionMode;
}

/** Vectorize returns at most 20 matches a query when it returns their metadata (its limits page). */
export const VECTORIZE_MAX_TOPK_WITH_METADATA = 20;

export class VectorizeRetriever implements Retriever {
  constructor(
    private readonly index: VectorizeLike,
    private readonly embedder: Embedder,
    private readonly options: VectorizeRetrieverOptions,
  ) {}

  async search(query: SearchQuery): Promise<ChunkRef[]> {
    await this.options.prepare?.();
    const [vector] = await embedTagged(this.embedder, [query.query]);
    if (vector === undefined) return [];
    const depth = candidateDepth(query.k);
    const words = lexicalQuery(query.query);
    const shards = await Promise.all(
      this.options.namespaces(query.tenantId).map(async (namespace): Promise<ShardCandidates<FoundChunk>> => {
        const [matches, lexical] = await Promise.all([
          this.index.query(vector.values, { topK: Math.min(depth, VECTORIZE_MAX_TOPK_WITH_METADATA), namespace, returnMetadata: "all", returnValues: false }),
          this.options.lexical?.(namespace, { ...words, depth }) ?? Promise.resolve({ lexical: NO_LEXICAL_CANDIDATES, chunks: {} }),
        ]);
        const chunks: Record<string, FoundChunk> = { ...lexical.chunks };
        const dense: { id: string; score: number }[] = [];
        for (const match of matches.matches) {
          const parsed = MatchMetadata.safeParse(match.metadata ?? {});
          if (!parsed.success) continue; // not one of ours: written by another tool into the index
          const { text, embedder, dimensions, ...metadata } = parsed.data;
          if (embedder !== vector.embedder || dimensions !== vector.dimensions) {
            throw new EmbedderMismatchError({ embedder, dimensions }, vector);
          }
          chunks[match.id] = { id: match.id, text, metadata };
          dense.push({ id: match.id, score: match.score });
        }
        return { dense, lexical: lexical.lexical, chunks };
      }),
    );
    const mode = this.options.lexical === undefined ? "dense" : (this.options.mode ?? "hybrid");
    return fuseShards(shards, query.k, { mode, termWeights: words.weights, denseWeight: denseWeight(vector.embedder) }).map(({ chunk, score }) => ({ ...chunk, score }));
  }

  count(tenantId: string): Promise<number> {
    return this.options.count(tenantId);
  }
}
