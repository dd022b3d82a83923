// The event catalogue as the page knows it (CONTRACT.md "Event catalogue"). Named SSE events reach
// only addEventListener(type), so the stream listens for each of these; a type added later still
// arrives, through the gap it leaves in `seq` (event-stream.js fills gaps from the JSON pages).

export const EVENT_TYPES = [
  "run.started",
  "workflow.step.started",
  "workflow.step.completed",
  "workflow.step.failed",
  "workflow.step.retry_scheduled",
  "workflow.waiting",
  "workflow.resumed",
  "node.started",
  "node.completed",
  "guardrail.triggered",
  "injection.detected",
  "context.sanitized",
  "context.history",
  "plan.created",
  "decision.made",
  "retrieval.started",
  "retrieval.completed",
  "tool.requested",
  "approval.requested",
  "approval.recorded",
  "tool.completed",
  "tool.failed",
  "tool.denied",
  "tool.server.error",
  "model.started",
  "model.completed",
  "output.chunk",
  "output.reset",
  "output.completed",
  "verification.completed",
  "budget.exceeded",
  "feedback.recorded",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "run.forked",
  "run.imported",
  "replay.diverged",
];

export const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);

/** Guardrail interventions: highlighted wherever they appear. */
export const GUARDRAIL = new Set(["guardrail.triggered", "injection.detected", "context.sanitized"]);

/** A family name for styling: run, workflow, guardrail, tool, model, output, retrieval, … */
export function family(type) {
  if (GUARDRAIL.has(type)) return "guardrail";
  if (type.startsWith("approval.")) return "approval";
  if (type === "run.failed" || type === "workflow.step.failed" || type === "tool.failed" || type === "tool.server.error") return "error";
  const head = type.split(".")[0];
  return ["run", "workflow", "node", "plan", "decision", "retrieval", "tool", "model", "output", "verification", "budget", "feedback", "context", "replay"].includes(head)
    ? head
    : "other";
}

const clip = (text, n = 140) => {
  const s = String(text ?? "");
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};
const json = (v) => {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
};

/** One line saying what an event is about. */
export function summarize(event) {
  const d = event.data ?? {};
  switch (event.type) {
    case "run.started":
      return `${d.mode ?? ""} · “${clip(d.message, 100)}” · ${d.tenant_id ?? ""}/${d.user_id ?? ""}`;
    case "workflow.step.started":
      return `${d.step} (attempt ${d.attempt})`;
    case "workflow.step.completed":
      return `${d.step} (attempt ${d.attempt}) in ${Math.round(d.duration_ms ?? 0)} ms`;
    case "workflow.step.failed":
      return `${d.step} (attempt ${d.attempt}): ${d.error?.code} ${clip(d.error?.message, 80)}${d.retryable ? " · retryable" : ""}`;
    case "workflow.step.retry_scheduled":
      return `${d.step} attempt ${d.attempt} in ${d.backoff_ms} ms`;
    case "workflow.waiting":
      return `${d.reason} · ${(d.request_ids ?? []).join(", ")} · until ${d.deadline}`;
    case "workflow.resumed":
      return String(d.reason ?? "");
    case "node.started":
    case "node.completed":
      return `${d.step} › ${d.node}${d.duration_ms !== undefined ? ` in ${Math.round(d.duration_ms)} ms` : ""}`;
    case "guardrail.triggered":
      return `${d.layer} · ${d.action} · ${d.rule}: ${clip(d.reason, 80)}`;
    case "injection.detected":
      return `${d.source} ${d.source_id} · score ${d.score} · ${d.rule}`;
    case "context.sanitized":
      return `${(d.removed ?? []).length} removal(s) in ${(d.chunk_ids ?? []).length} chunk(s)`;
    case "plan.created":
      return `${(d.steps ?? []).join(" → ")}${(d.tool_intents ?? []).length ? ` · tools: ${d.tool_intents.map((t) => t.tool).join(", ")}` : ""}`;
    case "decision.made":
      return `${d.decision}: ${clip(d.reason, 100)}`;
    case "retrieval.started":
      return `“${clip(d.query, 80)}” k=${d.k}`;
    case "retrieval.completed":
      return `${(d.chunk_ids ?? []).length} chunk(s) in ${Math.round(d.duration_ms ?? 0)} ms`;
    case "tool.requested":
      return `${d.tool} ${clip(json(d.args), 80)}${d.requires_approval ? " · needs approval" : ""}`;
    case "approval.requested":
      return `${d.tool} · ${clip(d.reason, 60)}${(d.warnings ?? []).length ? ` · ${d.warnings.length} warning(s)` : ""}`;
    case "approval.recorded":
      return `${d.decision} by ${d.user_id}${d.reason ? `: ${clip(d.reason, 60)}` : ""}`;
    case "tool.completed":
      return `${d.tool} in ${Math.round(d.duration_ms ?? 0)} ms${d.cached ? " (cached)" : ""}`;
    case "tool.failed":
      return `${d.tool}: ${d.error?.code} ${clip(d.error?.message, 80)}`;
    case "tool.denied":
      return `${d.tool}: ${clip(d.reason, 100)}`;
    case "tool.server.error":
      return `${d.server}: ${d.error?.code} ${clip(d.error?.message, 80)}`;
    case "model.started":
      return `${d.capability} · ${d.provider}/${d.model}`;
    case "model.completed":
      return `${d.capability} · ${d.provider}/${d.model} · ${d.usage?.input_tokens ?? 0}→${d.usage?.output_tokens ?? 0} tokens · ${d.finish_reason}`;
    case "output.chunk":
      return json(d.text);
    case "output.reset":
      return `attempt ${d.attempt}: ${clip(d.reason, 100)}`;
    case "output.completed":
      return clip(d.text, 120);
    case "verification.completed":
      return `${d.passed ? "passed" : "failed"}${(d.issues ?? []).length ? ` · ${clip(d.issues.join("; "), 100)}` : ""}`;
    case "budget.exceeded":
      return `${d.budget}: ${d.used} of ${d.limit}`;
    case "feedback.recorded":
      return `${d.rating} · ${d.feedback_id}`;
    case "run.completed":
      return `${d.refused ? "refused · " : ""}${d.degraded ? "degraded · " : ""}${clip(d.output, 100)}`;
    case "run.failed":
      return `${d.error?.code}: ${clip(d.error?.message, 100)}`;
    case "run.cancelled":
      return `by ${d.by_user_id}${d.reason ? ` (${d.reason})` : ""}`;
    default:
      return clip(json(d), 120);
  }
}
