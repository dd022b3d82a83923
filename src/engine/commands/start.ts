/**
 * `start`: the first command of every run. It writes `run.started`, the initial WorkflowState and the
 * run's span, and drives the workflow at once. Idempotent: a repeated start with the same request
 * fingerprint answers the existing run, one with another fingerprint is a conflict.
 *
 * A run in a thread also names its thread and turn, and carries the history its thread chose for
 * it (recorded as `context.history`, so every step reads it from RunState). Its thread may have
 * queued it first (commands/enqueue.ts): `start` then begins that queued run, if the fingerprint is
 * the one it was queued with.
 *
 * The message passes the input layers first (guardrail-events.ts `screenMessage`), so what is stored
 * is the message with hidden characters removed and secrets redacted, and the verdicts follow
 * `run.started` in the same commit. A message the layers refuse completes the run at once, with the
 * refusal as its output (`run.completed {refused: true}`): nothing plans on it.
 */
import { z } from "zod";
import { ApprovalPolicy, HistoryEntry, Mode, newEvent } from "../events";
import type { NewEvent, RunOptions } from "../events";
import type { EngineConfig } from "../config";
import { RecordedScreen, detectedEvent, guardSpanAttributes, instantSpan, replayedScreen, screenMessage, triggeredEvent } from "../guardrail-events";
import type { MessageScreen } from "../guardrail-events";
import type { Commit } from "../journal";
import { RunStatus } from "../lifecycle";
import { INDEX_DELAY_MS } from "../run-index";
import { refusedAttributes, runSpan } from "../span-attributes";
import { ThreadRef } from "../threads/shapes";
import { closeSpan, openSpan } from "../trace";
import { finishRun } from "../transitions";
import { initialWorkflow, updateStep } from "../workflow";
import type { WorkflowState } from "../workflow";
import type { DecideContext, Decision, RunView } from "./decision";

export const StartInput = z.object({
  run_id: z.string().min(1),
  tenant_id: z.string().min(1),
  user_id: z.string().min(1),
  scopes: z.array(z.string()),
  message: z.string().min(1),
  context: z.record(z.string(), z.unknown()),
  mode: Mode,
  options: z.object({ approval: ApprovalPolicy.optional(), max_tool_calls: z.number().int().min(0).optional() }),
  /** A hash of the request body: a repeated start must carry the same one. */
  fingerprint: z.string().min(1),
  /** The run's place in its thread; absent for a run started with POST /runs. */
  thread: ThreadRef.optional(),
  /** The earlier turns the thread chose for this run (threads/history.ts); only with `thread`. */
  history: z
    .object({ entries: z.array(HistoryEntry), tokens: z.number().int().min(0), dropped_turns: z.number().int().min(0) })
    .optional(),
  /** A replay's start: the message is the stored one and the input layers' verdicts are the recorded ones. */
  recorded_screen: RecordedScreen.optional(),
});
export type StartInput = z.infer<typeof StartInput>;

export type StartReply = { outcome: "created" | "existing"; run_id: string; status: RunStatus } | { outcome: "conflict" };

/** The options a run runs with: the request's, then the configured defaults. */
export function runOptions(input: Pick<StartInput, "options">, config: EngineConfig): RunOptions {
  return {
    approval: input.options.approval ?? "auto",
    max_tool_calls: input.options.max_tool_calls ?? config.defaults.maxToolCalls,
    max_wall_time_ms: config.defaults.maxWallTimeMs,
    max_tokens: config.defaults.maxTokens,
  };
}

/** `run.started` of this input, naming the thread and turn of a run in a thread; `message` is the screened text. */
export function runStartedEvent(input: Omit<StartInput, "fingerprint" | "history">, config: EngineConfig, message: string, spanId?: string): NewEvent {
  const { mode, tenant_id, user_id, context, scopes, thread } = input;
  return newEvent(
    "run.started",
    { message, mode, tenant_id, user_id, options: runOptions(input, config), context, scopes, ...(thread ?? {}) },
    spanId,
  );
}

/** What the input layers make of the message (the text that is stored, the verdicts, a refusal). */
export function screenStart(input: Pick<StartInput, "message" | "run_id" | "recorded_screen">, config: EngineConfig): MessageScreen {
  if (input.recorded_screen !== undefined) return replayedScreen(input.message, input.run_id, input.recorded_screen);
  return screenMessage(input.message, input.run_id, config.guardrails.policy);
}

/** What a start writes: the events, the initial workflow and the open run span (and the input layers' span). */
export function startCommit(input: StartInput, ctx: DecideContext, runSpanId: string, screen: MessageScreen): Commit {
  const { run_id, mode, thread } = input;
  const guardSpan = instantSpan(
    ctx.ids.span(),
    runSpanId,
    "guardrail input",
    guardSpanAttributes("input", { verdicts: screen.verdicts.length, injectionScore: screen.detection.score }),
    ctx.now.iso,
  );
  const events: NewEvent[] = [
    runStartedEvent(input, ctx.config, screen.text, runSpanId),
    ...(screen.detection.flagged ? [detectedEvent(screen.detection, guardSpan.span_id)] : []),
    ...screen.verdicts.map((verdict) => triggeredEvent(verdict, guardSpan.span_id)),
  ];
  if (thread !== undefined) {
    const history = input.history ?? { entries: [], tokens: 0, dropped_turns: 0 };
    events.push(
      newEvent(
        "context.history",
        {
          thread_id: thread.thread_id,
          turns: history.entries.length,
          tokens: history.tokens,
          dropped_turns: history.dropped_turns,
          entries: history.entries,
        },
        runSpanId,
      ),
    );
  }
  return {
    events,
    workflow: initialWorkflow(run_id, runSpanId, ctx.now.iso),
    spans: [openSpan({ span_id: runSpanId, parent_span_id: null, kind: "run", ...runSpan(mode, thread) }, ctx.now.iso), guardSpan],
  };
}

/** A refused message: the run completes at once with the refusal as its output; nothing plans on it. */
function refuse(commit: Commit, refusal: string, ctx: DecideContext): Commit {
  const { now } = ctx;
  const workflow = commit.workflow as WorkflowState;
  const [runSpan, ...others] = commit.spans ?? [];
  const refused = finishRun(
    { ...workflow, current_step: null, steps: updateStep(workflow, "receive", { status: "completed", attempts: 1, started_at: now.iso, ended_at: now.iso }) },
    newEvent("run.completed", { output: refusal, degraded: false, refused: true }),
    "completed",
    [],
    now,
    [...(commit.events ?? []), newEvent("output.chunk", { text: refusal, attempt: 1 }), newEvent("output.completed", { text: refusal })],
  );
  return { ...refused, spans: [...(runSpan ? [closeSpan(runSpan, now.iso, "ok", refusedAttributes)] : []), ...others] };
}

export function decideStart(view: RunView, input: StartInput, ctx: DecideContext): Decision<StartReply> {
  if (view.state !== null) {
    return view.meta("fingerprint") === input.fingerprint
      ? { reply: { outcome: "existing", run_id: view.state.run_id, status: view.state.status } }
      : { reply: { outcome: "conflict" } };
  }
  // A run its thread queued: begin it, if this is the request it was queued with.
  const queued = view.workflow?.status === "queued" ? view.workflow : null;
  if (queued !== null && view.meta("fingerprint") !== input.fingerprint) return { reply: { outcome: "conflict" } };
  const screen = screenStart(input, ctx.config);
  const commit = startCommit(input, ctx, queued?.run_span_id || ctx.ids.span(), screen);
  const meta = queued === null ? { meta: { fingerprint: input.fingerprint } } : {};
  if (screen.blocked && screen.refusal !== null) {
    return {
      reply: { outcome: "created", run_id: input.run_id, status: "completed" },
      commit: { ...refuse(commit, screen.refusal, ctx), ...meta },
      effects: [{ kind: "flush" }, { kind: "rearm" }],
    };
  }
  return {
    reply: { outcome: "created", run_id: input.run_id, status: "running" },
    commit: { ...commit, ...meta },
    // The index row follows within INDEX_DELAY_MS: at the run's first change of status, or then as `running`.
    effects: [{ kind: "drive" }, { kind: "flush", delayMs: INDEX_DELAY_MS }],
  };
}
