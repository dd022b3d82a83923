/**
 * Prompts for the model, built from the grounding: a system prompt that asks for answers drawn
 * only from the evidence, citing chunks as [chunk:<id>], and a user turn carrying the evidence.
 */
import type { ChatMessage, Grounding } from "../ports";

const SYSTEM_GENERATION =
  "You are a careful assistant. Answer the user's message using only the tool results and the " +
  "knowledge-base excerpts given. Cite excerpts as [chunk:<id>]. If the evidence does not answer " +
  "the question, say so plainly. Never invent numbers or names.";

export function evidenceText(grounding: Grounding): string {
  const parts: string[] = [];
  for (const view of grounding.tool_results) {
    const body = view.status === "completed" ? JSON.stringify(view.result) : `${view.status}: ${view.error ?? ""}`;
    parts.push(`Tool ${view.tool} ${JSON.stringify(view.args)} → ${body}`);
  }
  for (const chunk of grounding.chunks) parts.push(`[chunk:${chunk.id}] ${chunk.text}`);
  return parts.length > 0 ? parts.join("\n\n") : "(no evidence)";
}

export function generationMessages(grounding: Grounding): ChatMessage[] {
  const feedback =
    grounding.feedback.length > 0
      ? `\n\nA previous answer had these problems; avoid them:\n- ${grounding.feedback.join("\n- ")}`
      : "";
  return [
    { role: "system", content: SYSTEM_GENERATION },
    { role: "user", content: `Evidence:\n${evidenceText(grounding)}\n\nMessage:\n${grounding.message}${feedback}` },
  ];
}
