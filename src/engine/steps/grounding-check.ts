/**
 * Grounding check for an answer: numbers that appear in no evidence (tool results, retrieved
 * chunks) and not in the user's message are flagged as unsupported claims.
 */
import type { ChunkRef } from "../events";
import type { ToolResultView } from "../ports";

export interface GroundingInput {
  answer: string;
  message: string;
  chunks: ChunkRef[];
  toolResults: ToolResultView[];
}

const NUMBER = /-?\d[\d,]*(?:\.\d+)?/g;

function normalise(number: string): string {
  return number.replace(/,/g, "").replace(/^-/, "").replace(/\.0+$/, "");
}

export function checkGrounding(input: GroundingInput): {
  passed: boolean;
  issues: string[];
  checked: Record<string, unknown>;
} {
  const evidence = [
    input.message,
    ...input.chunks.map((c) => `${c.id} ${c.text}`),
    ...input.toolResults.map((r) => `${JSON.stringify(r.args)} ${JSON.stringify(r.result ?? r.error ?? "")}`),
  ].join("\n");
  const known = new Set((evidence.match(NUMBER) ?? []).map(normalise));
  const claims = [...new Set((input.answer.replace(/\[chunk:[^\]]*\]/g, "").match(NUMBER) ?? []).map(normalise))];
  const issues = claims.filter((n) => !known.has(n)).map((n) => `the number ${n} appears in no evidence`);
  return {
    passed: issues.length === 0,
    issues,
    checked: { numbers: claims.length, chunks: input.chunks.length, tool_results: input.toolResults.length },
  };
}
