/**
 * The retrieval evaluation over the shipped documents, through the real KnowledgeObject shards
 * and the local embedder. `npm run eval:retrieval` runs this file and prints the table; the test
 * fails if the hybrid ranking's recall@5 drops below 0.9.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createEmbedder } from "../../src/adapters/embedder";
import { createRetriever } from "../../src/adapters/retriever";
import type { FusionMode } from "../../src/engine/retrieval/ranking";
import { evaluate, parseEvalSet } from "../support/retrieval-eval";
import type { EvalResult } from "../support/retrieval-eval";

const questions = parseEvalSet(env.TEST_RETRIEVAL_EVAL);

function row(mode: string, r: EvalResult): string {
  return `| ${mode.padEnd(7)} | ${r.recallAt1.toFixed(3)} | ${r.recallAt5.toFixed(3)} | ${r.mrr.toFixed(3)} |`;
}

describe("retrieval evaluation (data/eval/retrieval.jsonl)", () => {
  it("has at least 40 questions, each naming a shipped document", () => {
    expect(questions.length).toBeGreaterThanOrEqual(40);
    const docs = new Set(env.TEST_DOC_FILES.map((f) => f.replace(/\.md$/, "")));
    for (const q of questions) expect(docs, q.question).toContain(q.document_id);
  });

  it("reaches recall@5 >= 0.9 with hybrid ranking, and reports dense and lexical alone", async () => {
    const embedder = createEmbedder(env);
    const results = {} as Record<FusionMode, EvalResult>;
    for (const mode of ["hybrid", "dense", "lexical"] as const) {
      results[mode] = await evaluate(createRetriever(env, mode), "eval", questions);
    }
    const table = [
      `retrieval evaluation: ${questions.length} questions over ${env.TEST_DOC_FILES.length} documents, embedder ${embedder.id} (${embedder.dimensions} dimensions), embedded index`,
      "| ranking | recall@1 | recall@5 | MRR |",
      "| --- | --- | --- | --- |",
      row("hybrid", results.hybrid),
      row("dense", results.dense),
      row("lexical", results.lexical),
      ...results.hybrid.misses.map((m) => `miss: ${m.question} (expected ${m.expected}, got ${m.got.join(", ")})`),
    ].join("\n");
    console.log(table);
    expect(results.hybrid.recallAt5).toBeGreaterThanOrEqual(0.9);
  });
});
