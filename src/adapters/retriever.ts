/**
 * The knowledge adapters the run object and the api worker use, chosen by configuration:
 * `RETRIEVAL_BACKEND` = `embedded` (default: the KnowledgeObject shards, no external service) or
 * `vectorize` (a `VECTORIZE` binding; the KnowledgeObject shards stay the ledger of documents and
 * the source of ingestion events, and mirror their vectors into Vectorize). The embedder comes
 * from `createEmbedder` (the `EMBEDDER` variable), the same in the shards and here.
 */
import { z } from "zod";
import { StepError } from "../engine/errors";
import type { Retriever } from "../engine/ports";
import type { DocumentInput } from "../engine/retrieval/documents";
import type { FusionMode } from "../engine/retrieval/ranking";
import { SHARED_NAMESPACE, searchNamespaces, tenantNamespace } from "../engine/retrieval/shards";
import type { UpsertResult } from "../durable-objects/knowledge-object";
import { EmbeddedRetriever } from "./embedded-retriever";
import { createEmbedder } from "./embedder";
import { VectorizeRetriever } from "./vectorize";

const Backend = z.enum(["embedded", "vectorize"]).default("embedded");

export function retrievalBackend(env: Env): "embedded" | "vectorize" {
  const parsed = Backend.safeParse(env.RETRIEVAL_BACKEND || undefined);
  if (!parsed.success) throw StepError.terminal("config_invalid", "RETRIEVAL_BACKEND must be embedded or vectorize");
  return parsed.data;
}

/** The Retriever for this deployment. `mode` picks the ranking (evaluation only). */
export function createRetriever(env: Env, mode: FusionMode = "hybrid"): Retriever {
  const embedder = createEmbedder(env);
  if (retrievalBackend(env) === "embedded") return new EmbeddedRetriever(env.KNOWLEDGE_OBJECT, embedder, mode);
  if (env.VECTORIZE === undefined) throw StepError.terminal("config_invalid", "RETRIEVAL_BACKEND=vectorize needs a VECTORIZE binding");
  const ledger = new EmbeddedRetriever(env.KNOWLEDGE_OBJECT, embedder);
  return new VectorizeRetriever(env.VECTORIZE, embedder, {
    namespaces: searchNamespaces,
    count: (tenantId) => ledger.count(tenantId),
    prepare: () => env.KNOWLEDGE_OBJECT.getByName(SHARED_NAMESPACE).ensureBundled(),
    // The shards' ledgers hold every chunk's term counts: their lexical index, without vectors.
    lexical: (namespace, query) => env.KNOWLEDGE_OBJECT.getByName(namespace).candidates(query),
    mode,
  });
}

/** Adds or replaces one of a tenant's private documents. */
export async function upsertTenantDocument(env: Env, tenantId: string, input: DocumentInput): Promise<UpsertResult> {
  const namespace = tenantNamespace(tenantId);
  const result = await env.KNOWLEDGE_OBJECT.getByName(namespace).upsertDocument(namespace, input);
  return result.outcome === "ingested"
    ? { outcome: "ingested", document_id: result.document_id, chunks: result.chunks }
    : { outcome: "refused", reason: result.reason };
}

/** The SSE stream of a shard's ingestion events (`scope` shared: the bundled documents). */
export async function knowledgeEvents(env: Env, tenantId: string, scope: "tenant" | "shared", after: number, follow: boolean): Promise<Response> {
  const name = scope === "shared" ? SHARED_NAMESPACE : tenantNamespace(tenantId);
  const stub = env.KNOWLEDGE_OBJECT.getByName(name);
  if (scope === "shared") await stub.ensureBundled();
  return stub.fetch(`https://knowledge/events?after=${after}&follow=${follow}`);
}

/**
 * A Retriever built on first use: a configuration error then fails the retrieving step (a clear,
 * terminal `run.failed`) instead of the object that holds the run.
 */
export function deferredRetriever(factory: () => Retriever): Retriever {
  let retriever: Retriever | null = null;
  const get = () => (retriever ??= factory());
  return {
    count: async (tenantId) => get().count(tenantId),
    search: async (query) => get().search(query),
  };
}
