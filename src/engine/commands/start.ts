/**
 * `start`: the first command of every run. It writes `run.started`, the initial WorkflowState and the
 * run's span, and drives the workflow at once. Idempotent: a repeated start with the same request
 * fingerprint answers the existing run, one with another fingerprint is a conflict.
 *
 * The message passes the input layers first (guardrail-events.ts `screenMessage`), so what is stored
 * is the message with hidden characters removed and secrets redacted, and the verdicts follow
 * `run.started` in the same commit. A message the layers refuse completes the run at once, with the
 * refusal as its output (`run.completed {refused: true}`): nothing plans on it.
 */
import { z } from "zod";
import { ApprovalPolicy, Mode, newEvent } from "../events";
import type { NewEvent } from "../events";
import { detectedEvent, instantSpan, screenMessage, triggeredEvent } from "../guardrail-events";
import { RunStatus } from "../lifecycle";
import { INDEX_DELAY_MS } from "../run-index";
import { closeSpan, openSpan } from "../trace";
import { finishRun } from "../transitions";
import { initialWorkflow, updateStep } from "../workflow";
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
});
export type StartInput = z.infer<typeof StartInput>;

export type StartReply = { outcome: "created" | "existing"; run_id: string; status: RunStatus } | { outcome: "conflict" };

export function decideStart(view: RunView, input: StartInput, ctx: DecideContext): Decision<StartReply> {
  if (view.state !== null) {
    return view.meta("fingerprint") === input.fingerprint
      ? { reply: { outcome: "existing", run_id: view.state.run_id, status: view.state.status } }
      : { reply: { outcome: "conflict" } };
  }
  const { now, config } = ctx;
  const runSpanId = ctx.ids.span();
  const options = {
    approval: input.options.approval ?? "auto",
    max_tool_calls: input.options.max_tool_calls ?? config.defaults.maxToolCalls,
    max_wall_time_ms: config.defaults.maxWallTimeMs,
    max_tokens: config.defaults.maxTokens,
  };
  const { run_id, tenant_id, user_id, scopes, context, mode } = input;
  const screen = screenMessage(input.message, run_id, config.guardrails.policy);
  const runSpan = openSpan({ span_id: runSpanId, parent_span_id: null, name: "run", kind: "run", attributes: { run_id, tenant_id, mode } }, now.iso);
  const guardSpan = instantSpan(
    ctx.ids.span(),
    runSpanId,
    "guardrail input",
    { layer: "input", verdicts: screen.verdicts.length, injection_score: Math.round(screen.detection.score * 1000) / 1000 },
    now.iso,
  );
  const events: NewEvent[] = [
    newEvent("run.started", { message: screen.text, mode, tenant_id, user_id, options, context, scopes }, runSpanId),
    ...(screen.detection.flagged ? [detectedEvent(screen.detection, guardSpan.span_id)] : []),
    ...screen.verdicts.map((verdict) => triggeredEvent(verdict, guardSpan.span_id)),
  ];
  const workflow = initialWorkflow(run_id, runSpanId, now.iso);
  const meta = { fingerprint: input.fingerprint };
  if (screen.blocked && screen.refusal !== null) {
    const refusal = screen.refusal;
    const refused = finishRun(
      { ...workflow, current_step: null, steps: updateStep(workflow, "receive", { status: "completed", attempts: 1, started_at: now.iso, ended_at: now.iso }) },
      newEvent("run.completed", { output: refusal, degraded: false, refused: true }),
      "completed",
      [],
      now,
      [...events, newEvent("output.chunk", { text: refusal, attempt: 1 }), newEvent("output.completed", { text: refusal })],
    );
    return {
      reply: { outcome: "created", run_id, status: "completed" },
      commit: { ...refused, spans: [closeSpan(runSpan, now.iso, "ok", { refused: true }), guardSpan], meta },
      effects: [{ kind: "flush" }, { kind: "rearm" }],
    };
  }
  return {
    reply: { outcome: "created", run_id, status: "running" },
    commit: { events, workflow, spans: [runSpan, guardSpan], meta },
    // The index row follows within INDEX_DELAY_MS: at the run's first change of status, or then as `running`.
    effects: [{ kind: "drive" }, { kind: "flush", delayMs: INDEX_DELAY_MS }],
  };
}
