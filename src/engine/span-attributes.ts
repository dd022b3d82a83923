/**
 * What the run's spans are named and which attributes they carry (CONTRACT.md "Trace and spans").
 * Names follow the OpenTelemetry semantic conventions wherever one exists: the GenAI conventions
 * for model calls (`chat gpt-4o-mini`, `gen_ai.*`), tool executions (`execute_tool <tool>`) and
 * retrieval, `error.type` and `error.message` for failures. Every other fact is the engine's own,
 * under `run_engine.*`. Each fact has exactly one key, and the same keys appear in `GET /spans`,
 * `GET /trace` and the OTLP export, so an OpenTelemetry back end shows model and tool calls as such.
 *
 * Status rules (the conventions' "recording errors"): a span that failed carries `error.type` (a
 * low-cardinality code) and `error.message` (exported as the OTLP status message); a span ended by
 * a cancellation is not an error: it ends `ok` with `run_engine.cancelled: true`.
 */
import type { ErrorInfo } from "./events";
import type { ToolCallSpan, ToolOutcome } from "./tool-protocol";
import type { Span } from "./trace";

/** Attribute keys, one per fact. */
export const ATTR = {
  operation: "gen_ai.operation.name",
  provider: "gen_ai.provider.name",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
  finishReasons: "gen_ai.response.finish_reasons",
  toolName: "gen_ai.tool.name",
  toolCallId: "gen_ai.tool.call.id",
  toolType: "gen_ai.tool.type",
  dataSource: "gen_ai.data_source.id",
  topK: "gen_ai.request.top_k",
  errorType: "error.type",
  errorMessage: "error.message",
  runId: "run_engine.run_id",
  tenantId: "run_engine.tenant_id",
  spanKind: "run_engine.span.kind",
  inProgress: "run_engine.span.in_progress",
  cancelled: "run_engine.cancelled",
  mode: "run_engine.mode",
  conversationId: "gen_ai.conversation.id",
  turn: "run_engine.thread.turn",
  step: "run_engine.step",
  attempt: "run_engine.attempt",
  capability: "run_engine.model.capability",
  waitReason: "run_engine.wait.reason",
  waitRequestIds: "run_engine.wait.request_ids",
  waitDeadline: "run_engine.wait.deadline",
  backoffMs: "run_engine.retry.backoff_ms",
  retryAfterError: "run_engine.retry.after_error",
  toolServer: "run_engine.tool.server",
  toolOutcome: "run_engine.tool.outcome",
  toolCached: "run_engine.tool.cached",
  toolAttempt: "run_engine.tool.attempt",
  executorPrefix: "run_engine.tool.executor.",
  guardrailLayer: "run_engine.guardrail.layer",
  guardrailRuleSet: "run_engine.guardrail.rule_set",
  guardrailVerdicts: "run_engine.guardrail.verdicts",
  guardrailScore: "run_engine.guardrail.injection_score",
  guardrailChunks: "run_engine.guardrail.chunks",
  guardrailProvider: "run_engine.guardrail.provider",
  outputAttempt: "run_engine.output.attempt",
  refused: "run_engine.refused",
  forkedFrom: "run_engine.forked_from",
} as const;

/** What a run span adds when its message was refused by the input layers. */
export const refusedAttributes: Attributes = { [ATTR.refused]: true };

/** `gen_ai.operation.name` of every model call: all capabilities are chat completions. */
export const MODEL_OPERATION = "chat";
export const TOOL_OPERATION = "execute_tool";
export const RETRIEVAL_OPERATION = "retrieval";
/** The knowledge index a run retrieves from (`gen_ai.data_source.id`). */
export const KNOWLEDGE_SOURCE = "knowledge";
/** `error.type` of a tool call that never ran: rejected by a human, denied by policy, approval expired. */
export const TOOL_DENIED = "tool_denied";
/** Error messages are kept to this many characters on spans. */
const MESSAGE_LIMIT = 500;

export type Attributes = Record<string, unknown>;

export function errorAttributes(error: ErrorInfo): Attributes {
  return { [ATTR.errorType]: error.code || "_OTHER", [ATTR.errorMessage]: error.message.slice(0, MESSAGE_LIMIT) };
}

export const cancelledAttributes: Attributes = { [ATTR.cancelled]: true };

/** The run's span; a run in a thread carries its conversation (`gen_ai.conversation.id`) and turn. */
export function runSpan(mode: string, thread?: { thread_id: string; turn: number }): { name: string; attributes: Attributes } {
  return {
    name: "run",
    attributes: { [ATTR.mode]: mode, ...(thread ? { [ATTR.conversationId]: thread.thread_id, [ATTR.turn]: thread.turn } : {}) },
  };
}

export function stepSpan(step: string, attempt: number): { name: string; attributes: Attributes } {
  return { name: `step ${step}`, attributes: { [ATTR.step]: step, [ATTR.attempt]: attempt } };
}

export function waitSpan(reason: string, requestIds: string[], deadline: string): { name: string; attributes: Attributes } {
  return {
    name: `wait ${reason}`,
    attributes: { [ATTR.waitReason]: reason, [ATTR.waitRequestIds]: requestIds, [ATTR.waitDeadline]: deadline },
  };
}

export function retrySpan(step: string, attempt: number, backoffMs: number, afterError: string): { name: string; attributes: Attributes } {
  return {
    name: `retry ${step}`,
    attributes: { [ATTR.step]: step, [ATTR.attempt]: attempt, [ATTR.backoffMs]: backoffMs, [ATTR.retryAfterError]: afterError },
  };
}

/** A model call as it starts: `{operation} {requested model}`, with what sampling decisions need. */
export function modelSpan(capability: string, model: string, provider: string): { name: string; attributes: Attributes } {
  return {
    name: `${MODEL_OPERATION} ${model}`,
    attributes: {
      [ATTR.operation]: MODEL_OPERATION,
      [ATTR.provider]: provider,
      [ATTR.requestModel]: model,
      [ATTR.capability]: capability,
    },
  };
}

/** What a model call's response adds to its span. */
export function modelResponseAttributes(response: {
  model: string;
  usage: { input_tokens: number; output_tokens: number };
  finishReason: string;
}): Attributes {
  return {
    [ATTR.responseModel]: response.model,
    [ATTR.inputTokens]: response.usage.input_tokens,
    [ATTR.outputTokens]: response.usage.output_tokens,
    [ATTR.finishReasons]: [response.finishReason],
  };
}

export interface GuardrailFacts {
  verdicts?: number;
  injectionScore?: number;
  chunks?: number;
  provider?: string;
  requestId?: string;
  outputAttempt?: number;
}

/** What a guardrail span says: the layer, the rule set that judged, and the facts of this check. */
export function guardrailAttributes(
  layer: "input" | "context" | "output",
  ruleSet: string,
  facts: GuardrailFacts = {},
): Attributes {
  const attributes: Attributes = { [ATTR.guardrailLayer]: layer, [ATTR.guardrailRuleSet]: ruleSet };
  if (facts.verdicts !== undefined) attributes[ATTR.guardrailVerdicts] = facts.verdicts;
  if (facts.injectionScore !== undefined) attributes[ATTR.guardrailScore] = Math.round(facts.injectionScore * 1000) / 1000;
  if (facts.chunks !== undefined) attributes[ATTR.guardrailChunks] = facts.chunks;
  if (facts.provider !== undefined) attributes[ATTR.guardrailProvider] = facts.provider;
  if (facts.requestId !== undefined) attributes[ATTR.toolCallId] = facts.requestId;
  if (facts.outputAttempt !== undefined) attributes[ATTR.outputAttempt] = facts.outputAttempt;
  return attributes;
}

export function retrievalSpan(k: number): { name: string; attributes: Attributes } {
  return {
    name: `${RETRIEVAL_OPERATION} ${KNOWLEDGE_SOURCE}`,
    attributes: { [ATTR.operation]: RETRIEVAL_OPERATION, [ATTR.dataSource]: KNOWLEDGE_SOURCE, [ATTR.topK]: k },
  };
}

function toolIdentity(tool: string, requestId: string, server: string): Attributes {
  return {
    [ATTR.operation]: TOOL_OPERATION,
    [ATTR.toolName]: tool,
    [ATTR.toolCallId]: requestId,
    // Our tools run on the agent's side (the executor calls MCP servers): the conventions' "extension".
    [ATTR.toolType]: "extension",
    [ATTR.toolServer]: server,
  };
}

/** The keys the executor sends on its span, and where each fact goes (null: already known here). */
const EXECUTOR_KEYS: Record<string, string | null> = {
  "tool.request_id": null,
  "tool.name": null,
  "tool.server": null,
  tenant_id: null,
  run_id: null,
  "tool.attempt": ATTR.toolAttempt,
  "tool.outcome": ATTR.toolOutcome,
  "tool.cached": ATTR.toolCached,
  "error.code": null,
  "tool.denied_reason": null,
};

function outcomeError(outcome: ToolOutcome): ErrorInfo | null {
  switch (outcome.status) {
    case "completed":
      return null;
    case "failed":
    case "server_error":
      return outcome.error;
    case "denied":
      return { code: TOOL_DENIED, message: outcome.reason };
  }
}

/**
 * The `execute_tool` span of a call the executor ran, from the span it sent with the outcome. The
 * tool's identity comes from the run's own request; the executor's attributes are renamed into the
 * run's keys (an unknown one is kept under `run_engine.tool.executor.`), so no fact is there twice.
 */
export function executedToolSpan(
  ids: { span_id: string; parent_span_id: string },
  request: { request_id: string; tool: string; server: string },
  outcome: ToolOutcome,
  executor: ToolCallSpan,
): Span {
  const attributes: Attributes = { ...toolIdentity(request.tool, request.request_id, request.server) };
  for (const [key, value] of Object.entries(executor.attributes)) {
    const target = key in EXECUTOR_KEYS ? EXECUTOR_KEYS[key] : `${ATTR.executorPrefix}${key}`;
    if (target !== null && target !== undefined) attributes[target] = value;
  }
  const error = outcomeError(outcome);
  if (error !== null) Object.assign(attributes, errorAttributes(error));
  return {
    ...ids,
    name: `${TOOL_OPERATION} ${request.tool}`,
    kind: "tool",
    start: executor.start,
    end: executor.end,
    duration_ms: Math.max(0, Date.parse(executor.end) - Date.parse(executor.start)),
    status: error === null ? "ok" : "error",
    attributes,
  };
}

/**
 * The `execute_tool` span of a call that never reached the executor, or whose outcome never came:
 * rejected by a human, denied before dispatch, expired. It ends in error at `endIso`, with the reason.
 */
export function unexecutedToolSpan(
  ids: { span_id: string; parent_span_id: string },
  request: { request_id: string; tool: string; server: string },
  error: ErrorInfo,
  startIso: string,
  endIso: string,
): Span {
  return {
    ...ids,
    name: `${TOOL_OPERATION} ${request.tool}`,
    kind: "tool",
    start: startIso,
    end: endIso,
    duration_ms: Math.max(0, Date.parse(endIso) - Date.parse(startIso)),
    status: "error",
    attributes: { ...toolIdentity(request.tool, request.request_id, request.server), ...errorAttributes(error) },
  };
}
