/**
 * The Vectorize backend against an in-test fake of the `VectorizeIndex` binding: ingestion through
 * the real shard ledger (KnowledgeObject SQLite) mirrors each diff into the shard's namespace;
 * search reads the shared namespace and the tenant's, ranks as the embedded index does (dense from
 * Vectorize, BM25 over the ledgers' counts, fused), and refuses vectors of another embedder.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createRetriever } from "../../src/adapters/retriever";
import { VectorizeMirror, VectorizeRetriever } from "../../src/adapters/vectorize";
import type { KnowledgeObject } from "../../src/durable-objects/knowledge-object";
import { KnowledgeStore, shardStore } from "../../src/durable-objects/knowledge-store";
import { prepareDocument } from "../../src/engine/retrieval/documents";
import type { DocumentInput } from "../../src/engine/retrieval/documents";
import { ingest } from "../../src/engine/retrieval/ingest";
import { createLocalEmbedder } from "../../src/engine/retrieval/local-embedder";
import { EmbedderMismatchError } from "../../src/engine/retrieval/vectors";
import { SHARED_NAMESPACE, searchNamespaces, tenantNamespace } from "../../src/engine/retrieval/shards";
import { FakeVectorize } from "../support/fake-vectorize";

const embedder = createLocalEmbedder();

/** Ingests into a real shard (its own Durable Object) with the Vectorize mirror on. */
async function ingestInto(fake: FakeVectorize, namespace: string, docs: DocumentInput[], source: "api" | "bundled" = "api") {
  return runInDurableObject(env.KNOWLEDGE_OBJECT.getByName(`vz-${namespace}-${fake.dimensions}-${Math.random()}`), (_o: KnowledgeObject, state) =>
    ingest(
      {
        store: shardStore(new KnowledgeStore(state.storage.sql), state.storage, `knowledge:${namespace}`, () => {}),
        embedder,
        mirror: new VectorizeMirror(fake, namespace),
        now: () => Date.now(),
      },
      { source, documents: docs.map((d) => prepareDocument(namespace, d, source)), prune: false },
    ),
  );
}

function retriever(fake: FakeVectorize) {
  return new VectorizeRetriever(fake, embedder, { namespaces: searchNamespaces, count: async () => fake.vectors.size });
}

const WIDGET = "# Widget\n\n## Colour\n\nThe widget is painted vermilion.\n\n## Price\n\nThe widget costs 17 euros.";

describe("Vectorize adapter", () => {
  it("writes chunks into the shard's namespace with document id, heading path and text as metadata", async () => {
    const fake = new FakeVectorize(embedder.dimensions);
    const totals = await ingestInto(fake, tenantNamespace("acme"), [{ document_id: "widget", text: WIDGET }]);
    expect(totals).toMatchObject({ chunks_added: 2, chunks_removed: 0 });
    const stored = [...fake.vectors.values()];
    expect(stored).toHaveLength(2);
    expect(stored.every((v) => v.namespace === "tenant:acme")).toBe(true);
    expect(stored[0]?.metadata).toMatchObject({ document_id: "widget", title: "Widget", heading_path: ["Widget", "Colour"], text: "The widget is painted vermilion.", embedder: embedder.id, dimensions: 512 });
  });

  it("replacing a document upserts the changed chunks and deletes the stale ones", async () => {
    const fake = new FakeVectorize(embedder.dimensions);
    const shard = env.KNOWLEDGE_OBJECT.getByName("vz-replace");
    const run = (text: string) =>
      runInDurableObject(shard, (_o: KnowledgeObject, state) =>
        ingest(
          { store: shardStore(new KnowledgeStore(state.storage.sql), state.storage, "knowledge:tenant:acme", () => {}), embedder, mirror: new VectorizeMirror(fake, "tenant:acme"), now: () => Date.now() },
          { source: "api", documents: [prepareDocument("tenant:acme", { document_id: "widget", text }, "api")], prune: false },
        ),
      );
    await run(WIDGET);
    const before = new Set(fake.vectors.keys());
    fake.calls.length = 0;
    expect(await run(WIDGET)).toMatchObject({ chunks_added: 0, chunks_unchanged: 2 });
    expect(fake.calls).toEqual([]); // unchanged: Vectorize is not touched
    await run(WIDGET.replace("17 euros", "19 euros"));
    const after = new Set(fake.vectors.keys());
    expect(after.size).toBe(2);
    expect([...after].filter((id) => !before.has(id))).toHaveLength(1);
    const [top] = await retriever(fake).search({ tenantId: "acme", query: "how much does the widget cost", k: 1 });
    expect(top?.text).toBe("The widget costs 19 euros.");
  });

  it("searches the shared namespace and the tenant's, never another tenant's", async () => {
    const fake = new FakeVectorize(embedder.dimensions);
    await ingestInto(fake, SHARED_NAMESPACE, [{ document_id: "guide", text: "# Guide\n\nThe widget factory opens at 9 am." }], "bundled");
    await ingestInto(fake, tenantNamespace("acme"), [{ document_id: "widget", text: WIDGET }]);
    await ingestInto(fake, tenantNamespace("globex"), [{ document_id: "secret", text: "# Secret\n\nThe widget prototype is hidden in hangar 51." }]);
    const results = await retriever(fake).search({ tenantId: "acme", query: "widget", k: 10 });
    const docs = results.map((r) => r.metadata.document_id);
    expect(docs).toContain("guide");
    expect(docs).toContain("widget");
    expect(docs).not.toContain("secret");
    expect(fake.calls.filter((c) => c.startsWith("query:"))).toEqual(["query:shared", "query:tenant:acme"]);
    expect(results.map((r) => r.score)).toEqual([...results.map((r) => r.score)].sort((a, b) => b - a));
  });

  it("keeps within Vectorize's topK limit of 20 with metadata, whatever k the caller asks for", async () => {
    const fake = new FakeVectorize(embedder.dimensions);
    await ingestInto(fake, tenantNamespace("acme"), [{ document_id: "widget", text: WIDGET }]);
    const results = await retriever(fake).search({ tenantId: "acme", query: "widget", k: 50 });
    expect(results.length).toBeGreaterThan(0);
    expect(results.length).toBeLessThanOrEqual(40);
  });

  it("refuses vectors written by another embedder and skips vectors that are not ours", async () => {
    const fake = new FakeVectorize(embedder.dimensions);
    await ingestInto(fake, tenantNamespace("acme"), [{ document_id: "widget", text: WIDGET }]);
    await fake.upsert([{ id: "foreign", namespace: "tenant:acme", values: Array.from({ length: 512 }, () => 1), metadata: { note: "written by another tool" } }]);
    const results = await retriever(fake).search({ tenantId: "acme", query: "widget colour", k: 5 });
    expect(results.map((r) => r.id)).not.toContain("foreign");
    const first = [...fake.vectors.values()].find((v) => v.id !== "foreign");
    if (first?.metadata !== undefined) first.metadata.embedder = "openai:text-embedding-3-small";
    await expect(retriever(fake).search({ tenantId: "acme", query: "widget colour", k: 5 })).rejects.toBeInstanceOf(EmbedderMismatchError);
  });

  it("ranks with the ledgers' BM25 over all namespaces, as the embedded index does (the zorblax case)", async () => {
    const fake = new FakeVectorize(embedder.dimensions);
    const namespace = tenantNamespace("vzlexical");
    // The tenant's shard, ledger and vectors, under its real name: the lexical side reads it.
    await runInDurableObject(env.KNOWLEDGE_OBJECT.getByName(namespace), (_o: KnowledgeObject, state) =>
      ingest(
        { store: shardStore(new KnowledgeStore(state.storage.sql), state.storage, `knowledge:${namespace}`, () => {}), embedder, mirror: new VectorizeMirror(fake, namespace), now: () => Date.now() },
        { source: "api", documents: [prepareDocument(namespace, { document_id: "zorblax", title: "Zorblax protocol", text: "# Zorblax protocol\n\nThe Zorblax protocol uses port 7311.\n" }, "api")], prune: false },
      ),
    );
    const vectorized = createRetriever({ ...env, RETRIEVAL_BACKEND: "vectorize", VECTORIZE: fake });
    const found = await vectorized.search({ tenantId: "vzlexical", query: "which port does zorblax use", k: 5 });
    expect(found[0]?.text).toBe("The Zorblax protocol uses port 7311.");
    // The shared namespace has no vectors in this fake: its chunks can only come from the lexical side.
    expect(found.some((c) => c.metadata.origin === "bundled")).toBe(true);
    expect(fake.calls.filter((c) => c.startsWith("query:"))).toEqual(["query:shared", `query:${namespace}`]);
  });

  it("is what createRetriever returns for RETRIEVAL_BACKEND=vectorize, and needs the binding", async () => {
    const fake = new FakeVectorize(embedder.dimensions);
    await ingestInto(fake, tenantNamespace("vzenv"), [{ document_id: "widget", text: WIDGET }]);
    const vectorized = createRetriever({ ...env, RETRIEVAL_BACKEND: "vectorize", VECTORIZE: fake });
    expect(vectorized).toBeInstanceOf(VectorizeRetriever);
    const [top] = await vectorized.search({ tenantId: "vzenv", query: "what colour is the widget", k: 1 });
    expect(top?.text).toContain("vermilion");
    expect(() => createRetriever({ ...env, RETRIEVAL_BACKEND: "vectorize" })).toThrow(/needs a VECTORIZE binding/);
    expect(() => createRetriever({ ...env, RETRIEVAL_BACKEND: "pinecone" })).toThrow(/embedded or vectorize/);
  });
});
