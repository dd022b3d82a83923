/**
 * The facts an answer is built from, read from RunState: the plan, the retrieved chunks (as the
 * context sanitizer left them), and one view per tool request with its outcome (a sanitized result
 * as its text). Steps build prompts (and the offline model its answer)
 * from this, so a retried step sees exactly what the first attempt saw.
 */
import type { Grounding, ToolResultView } from "../ports";
import type { RunState } from "../state";
import type { ToolDescriptor } from "../tool-protocol";
import { TOOL_OUTCOME_UNKNOWN } from "../waits";

export function toolResultViews(state: RunState): ToolResultView[] {
  const views: ToolResultView[] = [];
  for (const request of state.tool_requests) {
    const base = { request_id: request.request_id, tool: request.tool, args: request.args };
    const outcome = state.tool_results.find((r) => r.request_id === request.request_id);
    const denial = state.denials.find((d) => d.request_id === request.request_id);
    if (denial !== undefined) {
      views.push({ ...base, status: "denied", error: denial.reason });
    } else if (outcome?.status === "completed") {
      // A result the context sanitizer changed is seen only as its sanitized text.
      views.push({ ...base, status: "completed", result: outcome.sanitized ?? outcome.result });
    } else if (outcome !== undefined) {
      const unknown = outcome.error?.code === TOOL_OUTCOME_UNKNOWN;
      views.push({
        ...base,
        status: unknown ? "unknown" : outcome.status,
        error: outcome.error?.message ?? "unknown error",
      });
    }
  }
  return views;
}

export function groundingOf(
  state: RunState,
  extra: { tools?: ToolDescriptor[]; knowledgeChunks?: number; feedback?: string[]; answer?: string } = {},
): Grounding {
  return {
    message: state.message,
    history: state.history,
    mode: state.mode,
    tools: extra.tools ?? [],
    knowledge_chunks: extra.knowledgeChunks ?? 0,
    plan: state.plan ?? undefined,
    chunks: state.retrieved_chunks,
    tool_results: toolResultViews(state),
    feedback: extra.feedback ?? [],
    answer: extra.answer,
  };
}
