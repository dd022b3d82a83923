/**
 * The Retriever over the embedded index (the default, used by `wrangler dev` and the tests): the
 * query is embedded and analysed once here, each shard the tenant may read (shared + its own)
 * returns its dense and lexical candidates, and the engine's `fuseShards` puts them on one scale
 * (lexical statistics summed over the shards) and fuses them. The shared shard
 * ingests the bundled documents on first use, before it answers its first search or count.
 */
import type { ChunkRef } from "../engine/events";
import type { Embedder, Retriever, SearchQuery } from "../engine/ports";
import { lexicalQuery } from "../engine/retrieval/lexical";
import { candidateDepth, denseWeight, fuseShards } from "../engine/retrieval/ranking";
import type { FusionMode } from "../engine/retrieval/ranking";
import { searchNamespaces } from "../engine/retrieval/shards";
import { EmbedderMismatchError, embedTagged, sameEmbedder } from "../engine/retrieval/vectors";
import type { KnowledgeObject } from "../durable-objects/knowledge-object";

const COUNT_TTL_MS = 5_000;
const counts = new Map<string, { count: number; expiresAt: number }>();

export class EmbeddedRetriever implements Retriever {
  constructor(
    private readonly shards: DurableObjectNamespace<KnowledgeObject>,
    private readonly embedder: Embedder,
    private readonly mode: FusionMode = "hybrid",
  ) {}

  async search(query: SearchQuery): Promise<ChunkRef[]> {
    query.signal?.throwIfAborted();
    const [vector] = await embedTagged(this.embedder, [query.query]);
    if (vector === undefined) return [];
    const depth = candidateDepth(query.k);
    const lexical = lexicalQuery(query.query);
    const weight = denseWeight(this.embedder.id);
    // At weight 0 the dense ranking only fills places after the lexical one: k candidates suffice,
    // and none from a shard whose lexical candidates fill the k places already.
    const denseFillsIn = this.mode === "hybrid" && weight === 0;
    const denseDepth = denseFillsIn ? query.k : depth;
    const candidates = await Promise.all(
      searchNamespaces(query.tenantId).map((name) => this.shards.getByName(name).candidates({ ...lexical, vector, depth, denseDepth, denseFillsIn })),
    );
    query.signal?.throwIfAborted();
    for (const shard of candidates) {
      if (shard.embedder !== null && !sameEmbedder(shard.embedder, vector)) throw new EmbedderMismatchError(shard.embedder, vector);
    }
    return fuseShards(candidates, query.k, { mode: this.mode, termWeights: lexical.weights, denseWeight: weight }).map(({ chunk, score }) => ({
      id: chunk.id,
      text: chunk.text,
      score,
      metadata: chunk.metadata,
    }));
  }

  /**
   * Chunks the tenant can see, kept for a few seconds per isolate: the plan step asks on every
   * run only to know whether the knowledge base is empty, and the shared shard always holds the
   * bundled documents, so a count a few seconds old changes no decision (only the number quoted).
   */
  async count(tenantId: string): Promise<number> {
    const hit = counts.get(tenantId);
    if (hit !== undefined && hit.expiresAt > Date.now()) return hit.count;
    const perShard = await Promise.all(searchNamespaces(tenantId).map((name) => this.shards.getByName(name).count()));
    const count = perShard.reduce((a, b) => a + b, 0);
    counts.set(tenantId, { count, expiresAt: Date.now() + COUNT_TTL_MS });
    return count;
  }
}
