/**
 * `start`: the first command of every run. It writes `run.started`, the initial WorkflowState and the
 * run's span, and drives the workflow at once. Idempotent: a repeated start with the same request
 * fingerprint answers the existing run, one with another fingerprint is a conflict.
 */
import { z } from "zod";
import { ApprovalPolicy, Mode, newEvent } from "../events";
import { RunStatus } from "../lifecycle";
import { INDEX_DELAY_MS } from "../run-index";
import { runSpan } from "../span-attributes";
import { openSpan } from "../trace";
import { initialWorkflow } from "../workflow";
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
  const { run_id, tenant_id, user_id, scopes, message, context, mode } = input;
  return {
    reply: { outcome: "created", run_id, status: "running" },
    commit: {
      events: [newEvent("run.started", { message, mode, tenant_id, user_id, options, context, scopes }, runSpanId)],
      workflow: initialWorkflow(run_id, runSpanId, now.iso),
      spans: [
        openSpan({ span_id: runSpanId, parent_span_id: null, kind: "run", ...runSpan(mode) }, now.iso),
      ],
      meta: { fingerprint: input.fingerprint },
    },
    // The index row follows within INDEX_DELAY_MS: at the run's first change of status, or then as `running`.
    effects: [{ kind: "drive" }, { kind: "flush", delayMs: INDEX_DELAY_MS }],
  };
}
