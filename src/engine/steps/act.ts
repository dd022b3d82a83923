/**
 * `act`: turn the plan's tool intents into tool requests, once each, and dispatch every request
 * that may go; then wait for what is outstanding. It is the only place that dispatches: a request
 * goes out when it is recorded (no approval needed) or when `act` runs again after a human approved
 * it. The step is a reconciliation over RunState, so running it again (after a resume, a retry or a
 * crash) requests and dispatches nothing twice: intent i is request i, and a request is dispatched
 * by the commit that records `tool.dispatched`, together with its outbox message.
 *
 * Tool-level guardrails (a `guardrail` span around new requests): a call's arguments pass the
 * injection detector before anything goes out (`injection.detected`, source `tool_result`,
 * `<request_id>:input`); under a `block` policy for tool results a flagged call is denied. An
 * approval carries `warnings` for hidden, bidi and control characters in the arguments and for the
 * injections the run already saw, and the arguments escaped (`args_escaped`), so the approver sees
 * the text that is stored.
 */
import { newEvent } from "../events";
import type { NewEvent } from "../events";
import { detectedEvent, guardSpanAttributes } from "../guardrail-events";
import { approvalWarnings, checkToolInput } from "../guardrails/index";
import type { Effect } from "../journal";
import { unexecutedToolSpan } from "../span-attributes";
import type { RunState } from "../state";
import type { Span } from "../trace";
import { canUseTool, requiresApproval } from "../tool-policy";
import { splitToolName } from "../tool-protocol";
import { toolRequestMessage } from "../tool-dispatch";
import type { Dispatchable } from "../tool-dispatch";
import type { ToolDescriptor } from "../tool-protocol";
import { pendingWait } from "../waits";
import type { StepContext, StepResult } from "./step";

function approvalReason(tool: ToolDescriptor, policy: RunState["options"]["approval"]): string {
  if (policy === "always") return "the run's approval policy is “always”";
  if (tool.approval === "always") return `the ${tool.server} server requires approval for every call`;
  return `${tool.name} has side effects`;
}

/** The events and the outbox message that hand one request to the executor. */
function dispatch(ctx: StepContext, state: RunState, request: Dispatchable, callIndex: number): { event: NewEvent; effect: Effect } {
  const now = ctx.now();
  const deadline = now + ctx.config.toolWaitMs;
  return {
    event: newEvent("tool.dispatched", { request_id: request.request_id, tool: request.tool, deadline: new Date(deadline).toISOString() }),
    effect: { kind: "tool.dispatch", message: toolRequestMessage(state, request, callIndex, now, deadline) },
  };
}

/** `tool.denied` for a call that may not run, with the call's `execute_tool` span (in error). */
function denial(ctx: StepContext, request: { request_id: string; tool: string; server: string }, reason: string, code: string, spans: Span[]): NewEvent {
  const at = ctx.nowIso();
  const span = unexecutedToolSpan({ span_id: ctx.newSpanId(), parent_span_id: ctx.spanId }, request, { code, message: reason }, at, at);
  spans.push(span);
  return newEvent("tool.denied", { request_id: request.request_id, tool: request.tool, reason, code }, span.span_id);
}

/**
 * New requests for the intents not yet requested (up to the run's limit), each denied, parked for
 * approval, or dispatched. `catalog` is what the tenant's registry offers.
 */
function requestIntents(
  ctx: StepContext,
  state: RunState,
  catalog: ToolDescriptor[],
  out: { events: NewEvent[]; outbox: Effect[]; spans: Span[] },
  guardSpan: string,
): void {
  const { events, outbox, spans } = out;
  const intents = state.plan?.tool_intents ?? [];
  const limit = state.options.max_tool_calls;
  if (intents.length > limit && !state.budget.exceeded.includes("tool_calls")) {
    events.push(
      newEvent("budget.exceeded", { budget: "tool_calls", limit, used: intents.length }),
      newEvent("decision.made", {
        decision: `call only the first ${limit} of ${intents.length} planned tools`,
        reason: `the run allows at most ${limit} tool calls`,
      }),
    );
  }
  const fresh = intents.slice(state.tool_requests.length, limit);
  if (fresh.length === 0) return;
  const now = ctx.now();
  const policy = ctx.config.guardrails.policy.injection;
  const tools = catalog.map((tool) => tool.name);
  fresh.forEach((intent, i) => {
    const request_id = ctx.newRequestId();
    const descriptor = catalog.find((tool) => tool.name === intent.tool);
    const server = descriptor?.server ?? splitToolName(intent.tool)?.server ?? "unknown";
    const base = { request_id, tool: intent.tool, server, args: intent.args };
    const input = checkToolInput(request_id, intent.args, { policy, tools });
    if (input.flagged) events.push(detectedEvent(input, guardSpan));
    if (descriptor !== undefined && input.flagged && input.action === "block") {
      events.push(
        newEvent("tool.requested", { ...base, requires_approval: false }),
        denial(ctx, base, `its arguments read like instructions injected into the run (${input.rule}, score ${input.score.toFixed(2)})`, "injected_arguments", spans),
      );
    } else if (descriptor === undefined) {
      events.push(
        newEvent("tool.requested", { ...base, requires_approval: false }),
        denial(ctx, base, `no registered tool is named ${intent.tool}`, "unknown_tool", spans),
      );
    } else if (!canUseTool(descriptor, state.scopes)) {
      events.push(
        newEvent("tool.requested", { ...base, requires_approval: false }),
        denial(ctx, base, `the caller lacks the scope ${descriptor.scope}`, "missing_scope", spans),
      );
    } else if (requiresApproval(descriptor, state.options.approval)) {
      const { warnings, escaped } = approvalWarnings(intent.args, { detections: state.injections, policy, tools });
      events.push(
        newEvent("tool.requested", { ...base, requires_approval: true }),
        newEvent("approval.requested", {
          ...base,
          reason: approvalReason(descriptor, state.options.approval),
          expires_at: new Date(now + ctx.config.approvalTtlMs).toISOString(),
          warnings,
          args_escaped: escaped,
        }),
      );
    } else {
      const { event, effect } = dispatch(ctx, state, { ...base, approved: false }, state.tool_requests.length + i + 1);
      events.push(newEvent("tool.requested", { ...base, requires_approval: false }), event);
      outbox.push(effect);
    }
  });
}

export async function act(ctx: StepContext): Promise<StepResult> {
  const before = ctx.state();
  const unrequested = (before.plan?.tool_intents.length ?? 0) > before.tool_requests.length;
  // Fetched first: nothing below may hold the step's clock across an await.
  const catalog = unrequested ? await ctx.catalog.list(before.tenant_id) : [];
  const reconcile = (guardSpan: string) => {
    const state = ctx.state();
    const out = { events: [] as NewEvent[], outbox: [] as Effect[], spans: [] as Span[] };
    // Requests a human approved since `act` last ran go out now.
    state.tool_requests.forEach((request, i) => {
      if (request.status !== "approved") return;
      const { event, effect } = dispatch(ctx, state, { ...request, approved: true }, i + 1);
      out.events.push(event);
      out.outbox.push(effect);
    });
    requestIntents(ctx, state, catalog, out, guardSpan);
    if (out.events.length > 0) ctx.commit(out);
  };
  // New requests are screened inside a guardrail span; their events are committed inside it too,
  // so that their deadlines and their timestamps are the same instant.
  if (unrequested) {
    await ctx.span("guardrail", "guardrail tool input", guardSpanAttributes("context"), async (spanId) => reconcile(spanId));
  } else {
    reconcile(ctx.spanId);
  }

  const wait = pendingWait(ctx.state());
  return wait === null ? { kind: "done" } : { kind: "wait", ...wait };
}
