/**
 * The whole-answer check, after the stream: the shape an answer must have for its mode, and signs
 * that the model followed an injection despite the other layers. Research answers cite the chunks
 * they use (`[chunk:<id>]`), and every citation names a chunk the run retrieved; no answer is empty,
 * repeats the system prompt, carries a secret, or contains chat-template markers or function-call
 * JSON (the residue of an obeyed injection).
 *
 * Seam: the verify step calls `checkAnswer(answer, {...})` beside the claim verification; `issues`
 * are sentences for the rewrite prompt, `verdicts` become `guardrail.triggered {layer: "output"}`.
 */
import { ProtectedTexts } from "./leakage";
import { findSensitive } from "./sensitive";
import type { GuardrailVerdict } from "./verdict";

export interface AnswerCheckInput {
  mode: "chat" | "research";
  /** Ids of the chunks the run retrieved (after sanitizing). */
  chunkIds: readonly string[];
  protectedTexts?: readonly string[];
  shingleWords?: number;
}

export interface AnswerCheck {
  passed: boolean;
  /** One per verdict, in the same order: `issues[i]` is what `verdicts[i]` found, said to the rewriter. */
  issues: string[];
  verdicts: GuardrailVerdict[];
  citations: string[];
}

const CITATION = /\[chunk:([^\]\s]+)\]/g;

export function checkAnswer(answer: string, input: AnswerCheckInput): AnswerCheck {
  const issues: string[] = [];
  const verdicts: GuardrailVerdict[] = [];
  const flag = (rule: string, reason: string) => verdicts.push({ layer: "output", rule, rule_version: "1", action: "flag", reason });

  if (answer.trim().length === 0) {
    issues.push("The answer is empty.");
    flag("output.shape.empty", "the answer is empty");
  }
  const citations = [...new Set(Array.from(answer.matchAll(CITATION), (m) => m[1] ?? ""))];
  const known = new Set(input.chunkIds);
  const unknown = citations.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    issues.push(`The answer cites chunks that were not retrieved: ${unknown.map((id) => `[chunk:${id}]`).join(", ")}.`);
    flag("output.shape.unknown_citation", `cites ${unknown.length} chunk(s) that were not retrieved`);
  }
  if (input.mode === "research" && input.chunkIds.length > 0 && citations.length - unknown.length === 0 && answer.trim().length > 0) {
    issues.push("A research answer must cite the retrieved chunks it uses, as [chunk:<id>].");
    flag("output.shape.no_citation", "research answer cites no retrieved chunk");
  }
  const protectedTexts = ProtectedTexts.of(input.protectedTexts ?? [], input.shingleWords ?? 6);
  if (!protectedTexts.empty && protectedTexts.leaks(answer).spans.length > 0) {
    issues.push("The answer repeats the assistant's instructions; leave them out.");
    flag("output.leak.system_prompt", "the answer repeats the system prompt");
  }
  const secrets = findSensitive(answer, new Set(["api_key", "private_key", "jwt", "card"]));
  if (secrets.length > 0) {
    issues.push("The answer contains a secret (a key, token or card number); leave it out.");
    flag("output.secret", `the answer contains ${secrets.length} secret(s)`);
  }
  if (/<\|(?:im_start|im_end|system|assistant)\|>|\[\/?INST\]|<<\/?SYS>>|"(?:tool_calls|function_call)"\s*:/i.test(answer)) {
    issues.push("The answer contains chat-template markers or a function call; answer in prose.");
    flag("output.shape.markers", "the answer contains chat-template markers or function-call JSON");
  }
  return { passed: issues.length === 0, issues, verdicts, citations };
}
