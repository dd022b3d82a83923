/**
 * The retrieval evaluation: each question of data/eval/retrieval.jsonl names the document that
 * answers it; a question is a hit at rank r when the r-th retrieved chunk comes from that document.
 * recall@k = share of questions with a hit within the first k chunks; MRR = mean of 1/first rank
 * (0 when there is none within the first `depth` chunks).
 */
import { z } from "zod";
import type { Retriever } from "../../src/engine/ports";

export const EvalQuestion = z.object({ question: z.string().min(1), document_id: z.string().min(1) });
export type EvalQuestion = z.infer<typeof EvalQuestion>;

export function parseEvalSet(jsonl: string): EvalQuestion[] {
  return jsonl
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => EvalQuestion.parse(JSON.parse(line)));
}

export interface EvalResult {
  questions: number;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
  misses: { question: string; expected: string; got: string[] }[];
}

export async function evaluate(retriever: Retriever, tenantId: string, questions: EvalQuestion[], depth = 10): Promise<EvalResult> {
  let hits1 = 0;
  let hits5 = 0;
  let reciprocal = 0;
  const misses: EvalResult["misses"] = [];
  for (const q of questions) {
    const chunks = await retriever.search({ tenantId, query: q.question, k: depth });
    const docs = chunks.map((c) => String(c.metadata.document_id));
    const rank = docs.indexOf(q.document_id) + 1;
    if (rank === 1) hits1++;
    if (rank >= 1 && rank <= 5) hits5++;
    else misses.push({ question: q.question, expected: q.document_id, got: docs.slice(0, 5) });
    if (rank >= 1) reciprocal += 1 / rank;
  }
  const n = questions.length;
  return { questions: n, recallAt1: hits1 / n, recallAt5: hits5 / n, mrr: reciprocal / n, misses };
}
