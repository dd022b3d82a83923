/**
 * Adopting another run's log: an import (an exported run, verified, taken in whole) or a fork (a
 * run's first `at_seq` events, then a life of its own). The events are copied first, a page at a
 * time (`copiedEvent`: the new run's id, the importing tenant, the original timestamps, a fresh
 * chain); these commands then decide the rest: the event that says where the log came from, the
 * WorkflowState the copy leaves the run in (rebuilt from the log), and for a fork, the drive.
 */
import { z } from "zod";
import { ApprovalPolicy, newEvent } from "../events";
import type { NewEvent, RunEvent } from "../events";
import { detectedEvent, guardSpanAttributes, instantSpan, screenMessage, triggeredEvent } from "../guardrail-events";
import type { Commit } from "../journal";
import { hasEnded } from "../lifecycle";
import type { RunState } from "../state";
import { ATTR, refusedAttributes, runSpan, waitSpan as waitSpanOf } from "../span-attributes";
import { finishRun } from "../transitions";
import { closeSpan, openSpan } from "../trace";
import type { Span } from "../trace";
import { WorkflowState } from "../workflow";
import type { CommandRefusal, DecideContext, Decision, RunView } from "./decision";
import { conflict, notFound } from "./decision";

/** An event of another run's log as this run's own: same type, data, span and time; the tenant rewritten for an import. */
export function copiedEvent(event: RunEvent, tenantId: string): NewEvent {
  const data = event.type === "run.started" ? { ...event.data, tenant_id: tenantId } : event.data;
  return { type: event.type, data, ...(event.span_id !== undefined ? { span_id: event.span_id } : {}), ts: event.ts } as NewEvent;
}

export const ImportInput = z.object({
  source_run_id: z.string().min(1),
  source_head_hash: z.string().min(1),
  /** The WorkflowState the copied log ends in. */
  workflow: WorkflowState,
});
export type ImportInput = z.infer<typeof ImportInput>;

export type AdoptReply = { outcome: "adopted"; run_id: string } | CommandRefusal;

export function decideImport(view: RunView, input: ImportInput, ctx: DecideContext): Decision<AdoptReply> {
  const { state } = view;
  if (state === null) return notFound;
  if (view.workflow !== null) return conflict("the run already has a life of its own");
  if (!hasEnded(state.status)) return conflict("only a run that has ended can be imported (its log ends with run.completed, run.failed or run.cancelled); fork a run that has not");
  return {
    reply: { outcome: "adopted", run_id: state.run_id },
    commit: {
      events: [newEvent("run.imported", { source_run_id: input.source_run_id, source_head_hash: input.source_head_hash })],
      workflow: { ...input.workflow, run_id: state.run_id, updated_at: ctx.now.iso },
      meta: { fingerprint: `import:${input.source_head_hash}` },
    },
    effects: [{ kind: "flush" }],
  };
}

export const ForkInput = z.object({
  source_run_id: z.string().min(1),
  at_seq: z.number().int().min(1),
  message: z.string().min(1).optional(),
  options: z.object({ approval: ApprovalPolicy.optional(), max_tool_calls: z.number().int().min(0).max(20).optional() }).optional(),
  /** The WorkflowState the copied prefix ends in (at a step boundary or a wait). */
  workflow: WorkflowState,
});
export type ForkInput = z.infer<typeof ForkInput>;

export function decideFork(view: RunView, input: ForkInput, ctx: DecideContext): Decision<AdoptReply> {
  const { state } = view;
  if (state === null) return notFound;
  if (view.workflow !== null) return conflict("the run already has a life of its own");
  const { now, config, ids } = ctx;
  const source = input.workflow;
  // Approvals the source was waiting for are asked again, each with a fresh expiry.
  const awaiting = source.waiting?.reason === "approval" ? state.tool_requests.filter((r) => r.status === "awaiting_approval") : [];
  const expires = new Date(now.ms + config.approvalTtlMs).toISOString();
  const approvals = awaiting.map((r) => ({ request_id: r.request_id, expires_at: expires }));
  const spans: Span[] = [
    openSpan({ span_id: source.run_span_id, parent_span_id: null, kind: "run", ...forkRunSpan(state, input.source_run_id) }, now.iso),
  ];
  let waiting = source.waiting;
  if (waiting !== null) {
    const waitSpan = openSpan(
      { span_id: ids.span(), parent_span_id: source.run_span_id, kind: waiting.reason === "backoff" ? "retry" : "wait", ...waitSpanOf(waiting.reason, waiting.request_ids, waiting.deadline) },
      now.iso,
    );
    spans.push(waitSpan);
    waiting = { ...waiting, span_id: waitSpan.span_id, deadline: approvals.length > 0 ? expires : waiting.deadline };
  }
  // A new message passes the input layers like a started run's: what is stored is the screened
  // text, the verdicts follow `run.forked`, and a refused message ends the fork with the refusal.
  const screen = input.message !== undefined ? screenMessage(input.message, state.run_id, config.guardrails.policy) : null;
  const verdictEvents: NewEvent[] = [];
  if (screen !== null) {
    const guardSpan = instantSpan(
      ids.span(),
      source.run_span_id,
      "guardrail input",
      guardSpanAttributes("input", { verdicts: screen.verdicts.length, injectionScore: screen.detection.score }),
      now.iso,
    );
    spans.push(guardSpan);
    if (screen.detection.flagged) verdictEvents.push(detectedEvent(screen.detection, guardSpan.span_id));
    verdictEvents.push(...screen.verdicts.map((verdict) => triggeredEvent(verdict, guardSpan.span_id)));
  }
  const forked = newEvent("run.forked", {
    source_run_id: input.source_run_id,
    at_seq: input.at_seq,
    ...(screen !== null ? { message: screen.text } : {}),
    ...(input.options !== undefined ? { options: input.options } : {}),
    ...(approvals.length > 0 ? { approvals } : {}),
  });
  const workflow: WorkflowState = { ...source, run_id: state.run_id, waiting, epoch: 0, next_alarm_at: waiting?.deadline ?? null, updated_at: now.iso };
  const meta = { fingerprint: `fork:${input.source_run_id}:${input.at_seq}` };
  if (screen !== null && screen.blocked && screen.refusal !== null) {
    return {
      reply: { outcome: "adopted", run_id: state.run_id },
      commit: { ...refusedFork(state, workflow, [forked, ...verdictEvents], spans, screen.refusal, now), meta },
      effects: [{ kind: "flush" }, { kind: "rearm" }],
    };
  }
  return {
    reply: { outcome: "adopted", run_id: state.run_id },
    commit: { events: [forked, ...verdictEvents], workflow, spans, meta },
    effects: [{ kind: "drive" }],
  };
}

/** A fork's run span: the run's, naming the run it was forked from. */
function forkRunSpan(state: RunState, source: string): { name: string; attributes: Record<string, unknown> } {
  const span = runSpan(state.mode, state.thread ?? undefined);
  return { ...span, attributes: { ...span.attributes, [ATTR.forkedFrom]: source } };
}

/** A fork whose new message the input layers refuse: it completes at once with the refusal, like a refused start. */
function refusedFork(state: RunState, workflow: WorkflowState, events: NewEvent[], spans: Span[], refusal: string, now: DecideContext["now"]): Commit {
  const attempt = state.output_attempt + 1;
  const output: NewEvent[] = [
    ...(state.output_streamed || state.output !== "" ? [newEvent("output.reset", { attempt, reason: "the fork's message was refused" })] : []),
    newEvent("output.chunk", { text: refusal, attempt }),
    newEvent("output.completed", { text: refusal }),
  ];
  const ended = finishRun(
    { ...workflow, current_step: null },
    newEvent("run.completed", { output: refusal, degraded: false, refused: true }),
    "completed",
    [],
    now,
    [...events, ...output],
  );
  const [runSpan, ...others] = spans;
  return { ...ended, spans: [...(runSpan ? [closeSpan(runSpan, now.iso, "ok", refusedAttributes)] : []), ...others.map((span) => (span.end === null ? closeSpan(span, now.iso, "ok") : span))] };
}
