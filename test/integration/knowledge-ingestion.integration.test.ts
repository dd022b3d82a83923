/**
 * Ingestion into the real KnowledgeObject shards (SQLite-backed Durable Objects in the Workers
 * pool): bundled documents on first use, idempotent re-ingestion, replacement, tenant separation,
 * persistence across a crash of the object, and the embedder-mixing error.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createRetriever, upsertTenantDocument } from "../../src/adapters/retriever";
import { KnowledgeObject } from "../../src/durable-objects/knowledge-object";
import { KnowledgeStore } from "../../src/durable-objects/knowledge-store";
import type { Embedder } from "../../src/engine/ports";
import { createLocalEmbedder } from "../../src/engine/retrieval/local-embedder";
import { EmbedderMismatchError, embedTagged } from "../../src/engine/retrieval/vectors";
import { BUNDLED_DOCUMENTS } from "../../src/knowledge/bundled-docs";
import { crash } from "../support/crash";

const ZORBLAX = `# Zorblax

## Specifications

The Zorblax 3000 weighs 4.2 kilograms and ships in teal.

## Warranty

Every Zorblax has a warranty of 7 years, covering the hover coil.
`;

/**
 * Gives a shard an embedder that waits on a timer, as a networked one (Workers AI, OpenAI) does:
 * the local embedder never yields to the event loop, which would hide any interleaving.
 */
function useSlowEmbedder(object: KnowledgeObject): void {
  const local = createLocalEmbedder();
  const slow: Embedder = {
    id: local.id,
    dimensions: local.dimensions,
    embed: async (texts) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return local.embed(texts);
    },
  };
  (object as unknown as { embedder: Embedder }).embedder = slow;
}

/** The shard's chunk rows (rid, id), to prove that a no-op ingestion rewrote nothing. */
async function rows(name: string): Promise<string[]> {
  return runInDurableObject(env.KNOWLEDGE_OBJECT.getByName(name), (_o: KnowledgeObject, state) =>
    state.storage.sql.exec<{ rid: number; id: string }>("SELECT rid, id FROM chunks ORDER BY rid").toArray().map((r) => `${r.rid}:${r.id}`),
  );
}

async function events(name: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return runInDurableObject(env.KNOWLEDGE_OBJECT.getByName(name), (_o: KnowledgeObject, state) =>
    new KnowledgeStore(state.storage.sql).eventsAfter(0, 1000).map((r) => JSON.parse(r.json) as { type: string; data: Record<string, unknown> }),
  );
}

describe("bundled documents", () => {
  it("are ingested once on first use, even when first uses race", async () => {
    const shard = env.KNOWLEDGE_OBJECT.getByName("race-shared");
    await runInDurableObject(shard, async (object: KnowledgeObject) => {
      useSlowEmbedder(object);
      await Promise.all(Array.from({ length: 8 }, () => object.ensureBundled()));
    });
    await Promise.all(Array.from({ length: 3 }, () => shard.ensureBundled()));
    const log = await events("race-shared");
    expect(log.map((e) => e.type)).toEqual(["knowledge.ingestion.started", "knowledge.ingestion.completed"]);
    expect(log[0]?.data.document_ids).toEqual(BUNDLED_DOCUMENTS.map((d) => d.document_id));
    const count = await shard.count();
    expect(log[1]?.data).toMatchObject({ source: "bundled", documents: BUNDLED_DOCUMENTS.length, chunks_added: count, chunks_removed: 0 });
    expect(count).toBeGreaterThan(BUNDLED_DOCUMENTS.length);
  });

  it("bundles every file of data/docs", () => {
    expect(BUNDLED_DOCUMENTS.map((d) => `${d.document_id}.md`)).toEqual(env.TEST_DOC_FILES);
  });

  it("prunes documents no longer shipped when the bundle changes", async () => {
    const stub = env.KNOWLEDGE_OBJECT.getByName("prune-shared");
    await runInDurableObject(stub, async (object: KnowledgeObject, state) => {
      // A document from an older bundle, ingested as bundled under another bundle hash.
      await object.upsertDocument("shared", { document_id: "retired", text: "# Retired\n\nOld facts." });
      state.storage.sql.exec("UPDATE documents SET source = 'bundled' WHERE document_id = 'retired'");
    });
    await stub.ensureBundled();
    const ids = await runInDurableObject(stub, (_o: KnowledgeObject, state) => new KnowledgeStore(state.storage.sql).documentIds("bundled"));
    expect(ids).not.toContain("retired");
    expect(ids).toHaveLength(BUNDLED_DOCUMENTS.length);
  });
});

describe("tenant documents", () => {
  it("re-ingesting an unchanged document changes nothing", async () => {
    const first = await upsertTenantDocument(env, "idem", { document_id: "zorblax", text: ZORBLAX });
    expect(first).toEqual({ outcome: "ingested", document_id: "zorblax", chunks: 2 });
    const before = await rows("tenant:idem");
    const second = await upsertTenantDocument(env, "idem", { document_id: "zorblax", text: ZORBLAX });
    expect(second).toEqual(first);
    expect(await rows("tenant:idem")).toEqual(before);
    const completed = (await events("tenant:idem")).filter((e) => e.type === "knowledge.ingestion.completed");
    expect(completed.map((e) => [e.data.chunks_added, e.data.chunks_removed, e.data.chunks_unchanged])).toEqual([
      [2, 0, 0],
      [0, 0, 2],
    ]);
  });

  it("replacing a document swaps only the changed chunks, and search sees the new text only", async () => {
    await upsertTenantDocument(env, "repl", { document_id: "zorblax", text: ZORBLAX });
    const before = await rows("tenant:repl");
    const edited = ZORBLAX.replace("warranty of 7 years", "warranty of 9 years");
    await upsertTenantDocument(env, "repl", { document_id: "zorblax", text: edited });
    const after = await rows("tenant:repl");
    expect(after).toHaveLength(2);
    expect(after[0]).toBe(before[0]); // the specifications chunk was kept as it was
    expect(after[1]).not.toBe(before[1]);
    const chunks = await createRetriever(env).search({ tenantId: "repl", query: "How long is the Zorblax warranty?", k: 3 });
    expect(chunks[0]?.text).toContain("9 years");
    expect(chunks.map((c) => c.text).join(" ")).not.toContain("7 years");
    expect(chunks[0]?.metadata).toMatchObject({ document_id: "zorblax", title: "Zorblax", heading_path: ["Zorblax", "Warranty"], origin: "api" });
  });

  it("a tenant's documents are invisible to other tenants; the bundled ones are shared", async () => {
    await upsertTenantDocument(env, "acme", { document_id: "zorblax", text: ZORBLAX });
    const retriever = createRetriever(env);
    const mine = await retriever.search({ tenantId: "acme", query: "Zorblax warranty hover coil", k: 5 });
    const theirs = await retriever.search({ tenantId: "globex", query: "Zorblax warranty hover coil", k: 5 });
    expect(mine[0]?.metadata.document_id).toBe("zorblax");
    expect(theirs.some((c) => c.metadata.document_id === "zorblax")).toBe(false);
    expect(theirs.every((c) => c.metadata.origin === "bundled")).toBe(true);
    const shared = await retriever.count("globex");
    expect(await retriever.count("acme")).toBe(shared + 2);
  });

  it("serialises concurrent posts of one document: one version ends whole, no chunk is left over", async () => {
    const versions = Array.from({ length: 6 }, (_, i) => ZORBLAX.replace("7 years", `${i + 10} years`));
    const stub = env.KNOWLEDGE_OBJECT.getByName("tenant:concurrent");
    await runInDurableObject(stub, async (object: KnowledgeObject) => {
      // Without the shard's write queue the six ingestions would interleave at the embedder's await.
      useSlowEmbedder(object);
      await Promise.all(versions.map((text) => object.upsertDocument("tenant:concurrent", { document_id: "zorblax", text })));
    });
    const texts = await runInDurableObject(stub, (_o: KnowledgeObject, state) =>
      state.storage.sql.exec<{ text: string }>("SELECT text FROM chunks ORDER BY ordinal").toArray().map((r) => r.text),
    );
    expect(texts).toHaveLength(2);
    expect(texts[1]).toContain("warranty of 15 years"); // queued in arrival order: the last post wins
    // The lexical index holds the last version's chunks only.
    const lexical = await stub.candidates({ terms: ["zorblax", "warranty"], depth: 10 });
    expect(lexical.lexical).toMatchObject({ chunks: 2, df: [2, 1] });
    expect(lexical.lexical.hits.map((h) => lexical.chunks[h.id]?.text)).toContain("Every Zorblax has a warranty of 15 years, covering the hover coil.");
    const log = await events("tenant:concurrent");
    expect(log.map((e) => e.type)).toEqual(versions.flatMap(() => ["knowledge.ingestion.started", "knowledge.ingestion.completed"]));
  });

  it("survives a crash of the object: storage persists, the memory index is rebuilt", async () => {
    await upsertTenantDocument(env, "crash", { document_id: "zorblax", text: ZORBLAX });
    const before = await rows("tenant:crash");
    await crash(env.KNOWLEDGE_OBJECT.getByName("tenant:crash"));
    expect(await rows("tenant:crash")).toEqual(before);
    const chunks = await createRetriever(env).search({ tenantId: "crash", query: "Zorblax weight in kilograms", k: 1 });
    expect(chunks[0]?.text).toContain("4.2 kilograms");
  });
});

describe("shards written by the FTS5 version", () => {
  it("gain a terms column and their chunks' term counts on first search, and the FTS5 table goes", async () => {
    await upsertTenantDocument(env, "legacy", { document_id: "zorblax", text: ZORBLAX });
    const stub = env.KNOWLEDGE_OBJECT.getByName("tenant:legacy");
    // Make the shard look as the FTS5 version left it: no terms column, no vocabulary, an FTS5 table.
    await runInDurableObject(stub, (_o: KnowledgeObject, state) => {
      state.storage.sql.exec("ALTER TABLE chunks DROP COLUMN terms");
      state.storage.sql.exec("DELETE FROM vocab");
      state.storage.sql.exec("CREATE VIRTUAL TABLE chunks_fts USING fts5 (body)");
    });
    await crash(stub);
    const [top] = await createRetriever(env, "lexical").search({ tenantId: "legacy", query: "hover coil warranty", k: 1 });
    expect(top?.text).toBe("Every Zorblax has a warranty of 7 years, covering the hover coil.");
    const after = await runInDurableObject(env.KNOWLEDGE_OBJECT.getByName("tenant:legacy"), (_o: KnowledgeObject, state) => ({
      missing: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunks WHERE terms IS NULL").one().n,
      fts: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'chunks_fts'").one().n,
    }));
    expect(after).toEqual({ missing: 0, fts: 0 });
  });
});

describe("embedder mixing", () => {
  it("is an error for a search vector and for an ingestion of another embedder", async () => {
    const stub = env.KNOWLEDGE_OBJECT.getByName("tenant:mixing");
    await upsertTenantDocument(env, "mixing", { document_id: "zorblax", text: ZORBLAX });
    // A shard never scores a vector of another embedder: it says which embedder it holds instead.
    const [small] = await embedTagged(createLocalEmbedder({ dimensions: 256 }), ["Zorblax"]);
    const answer = await stub.candidates({ terms: ["zorblax"], vector: small!, depth: 5 });
    expect(answer).toMatchObject({ embedder: { embedder: "local-ngram-v1-c3", dimensions: 512 }, dense: [], lexical: { hits: [] } });
    // The shard was built by the configured embedder; pretend it was another one.
    await runInDurableObject(stub, (_o: KnowledgeObject, state) => {
      new KnowledgeStore(state.storage.sql).setEmbedder({ embedder: "workers-ai:@cf/baai/bge-base-en-v1.5", dimensions: 768 });
    });
    const search = await createRetriever(env).search({ tenantId: "mixing", query: "Zorblax", k: 3 }).then(() => null, (e: unknown) => e);
    expect(search).toBeInstanceOf(EmbedderMismatchError);
    expect(search).toMatchObject({ code: "embedder_mismatch", retryable: false });
    const failed = await upsertTenantDocument(env, "mixing", { document_id: "other", text: "# Other\n\nnew" }).then(() => null, (e: unknown) => e);
    expect(String(failed)).toMatch(/cannot be compared/);
    expect((await rows("tenant:mixing")).length).toBe(2);
  });
});
