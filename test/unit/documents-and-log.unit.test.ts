import { describe, expect, it } from "vitest";
import { ChainVerifier } from "../../src/engine/hash-chain";
import { DocumentInput, planIngestion, prepareDocument } from "../../src/engine/retrieval/documents";
import { EMPTY_KNOWLEDGE_HEAD, prepareKnowledgeAppend } from "../../src/engine/retrieval/knowledge-log";

describe("prepareDocument", () => {
  it("names a document without an id by its text, and titles it by its first heading", () => {
    const a = prepareDocument("tenant:t", { text: "# Zorblax\n\nA blue widget." }, "api");
    const b = prepareDocument("tenant:t", { text: "# Zorblax\n\nA blue widget." }, "api");
    expect(a.document_id).toMatch(/^doc_[0-9a-f]{20}$/);
    expect(b).toEqual(a);
    expect(a.title).toBe("Zorblax");
    expect(prepareDocument("tenant:t", { text: "plain", document_id: "p" }, "api").title).toBe("p");
  });

  it("changes the content hash with the title or metadata, not only the text", () => {
    const base = prepareDocument("n", { document_id: "d", text: "# T\n\nx" }, "api");
    expect(prepareDocument("n", { document_id: "d", text: "# T\n\nx", title: "Other" }, "api").content_hash).not.toBe(base.content_hash);
    expect(prepareDocument("n", { document_id: "d", text: "# T\n\nx", metadata: { v: 2 } }, "api").content_hash).not.toBe(base.content_hash);
  });

  it("validates the input shape", () => {
    expect(DocumentInput.safeParse({ text: "" }).success).toBe(false);
    expect(DocumentInput.safeParse({ text: "x", document_id: "bad id" }).success).toBe(false);
    expect(DocumentInput.safeParse({ text: "x", metadata: { nested: { a: 1 } } }).success).toBe(false);
    expect(DocumentInput.safeParse({ text: "x", document_id: "ok.id-1", metadata: { source: "wiki", v: 1, draft: false } }).success).toBe(true);
  });
});

describe("planIngestion", () => {
  it("adds new chunks, keeps known ones, removes the ones gone", () => {
    const chunk = (id: string) => ({ id, ordinal: 0, heading_path: [], text: id });
    const plan = planIngestion(["a", "b"], [chunk("b"), chunk("c")]);
    expect(plan.add.map((c) => c.id)).toEqual(["c"]);
    expect(plan.keep.map((c) => c.id)).toEqual(["b"]);
    expect(plan.remove).toEqual(["a"]);
  });
});

describe("knowledge log", () => {
  it("numbers events contiguously in a verifiable hash chain with the run envelope", () => {
    const first = prepareKnowledgeAppend(EMPTY_KNOWLEDGE_HEAD, "knowledge:shared", [{ type: "knowledge.ingestion.started", data: { source: "bundled", document_ids: ["a"] } }], "2026-11-24T10:00:00.000Z");
    const second = prepareKnowledgeAppend(first.head, "knowledge:shared", [
      { type: "knowledge.ingestion.completed", data: { source: "bundled", documents: 1, chunks_added: 2, chunks_removed: 0, chunks_unchanged: 0, duration_ms: 3 } },
    ], "2026-11-24T10:00:00.100Z");
    const rows = [...first.rows, ...second.rows];
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    const verifier = new ChainVerifier();
    for (const row of rows) verifier.push(JSON.parse(row.json) as Record<string, unknown>);
    expect(verifier.result()).toMatchObject({ valid: true, last_seq: 2, head_hash: second.head.hash });
    expect(JSON.parse(rows[0]!.json)).toMatchObject({ run_id: "knowledge:shared", type: "knowledge.ingestion.started" });
  });

  it("rejects event data that breaks the catalogue", () => {
    expect(() =>
      prepareKnowledgeAppend(EMPTY_KNOWLEDGE_HEAD, "s", [{ type: "knowledge.ingestion.started", data: { source: "elsewhere" as "api", document_ids: [] } }], "t"),
    ).toThrow();
  });
});
