/**
 * Settling a call at its run's deadline. The run waited `TOOL_WAIT_MS` for an outcome that did not
 * come (a message lost with a local Queue, an executor killed between doing and reporting, a
 * delivery lost) and, before it tells the user the outcome is unknown, asks the executor:
 *
 * 1. an outcome is recorded: that one (its delivery was lost; the ledger would redeliver it later);
 * 2. an attempt holds the call: wait for it, up to SETTLE_WAIT_MS (its lease ends when it is done
 *    or dead);
 * 3. no attempt ran it, one gave it back, or one died mid-call: run it now, for a run that is
 *    waiting for it right now, with the usual pipeline and the call's own timeout. The claim rule
 *    and execute.ts still decide: a call that died mid-call is repeated only when that cannot
 *    double its effect, else it ends `tool_outcome_unknown`;
 * 4. what stands then; a call still unclaimed or given back (its server failed) is fenced: its
 *    outcome is `tool_not_run`, and no later attempt runs it.
 * Null: an attempt still holds the call, so its outcome is not known yet (it is delivered late).
 */
import type { Clock } from "../engine/ports";
import { ToolRequestMessage } from "../engine/tool-protocol";
import type { ToolOutcome } from "../engine/tool-protocol";
import type { HandlerDeps } from "./request-handler";
import { handleToolRequest } from "./request-handler";

/** How long a settlement waits for an attempt under way before it runs or fences the call itself. */
export const SETTLE_WAIT_MS = 8_000;
const POLL_MS = 200;

export async function settleRequest(body: unknown, deps: HandlerDeps & { clock: Clock }): Promise<ToolOutcome | null> {
  const msg = ToolRequestMessage.parse(body);
  const { clock } = deps;
  const ledger = deps.ledger(msg.tenant_id, msg.run_id);
  const ids = { request_id: msg.request_id, tenant_id: msg.tenant_id, run_id: msg.run_id, tool: msg.tool };
  const waitUntil = clock.now() + SETTLE_WAIT_MS;
  for (;;) {
    const record = await ledger.inspect(msg.request_id);
    if (record?.outcome) return record.outcome;
    if (record === null || record.lease_until <= clock.now()) break;
    if (clock.now() >= waitUntil) return null;
    await clock.sleep(Math.min(POLL_MS, waitUntil - clock.now()));
  }
  // The run is waiting for this call now: it gets the call's own timeout from here.
  const now = clock.now();
  await handleToolRequest({ ...msg, deadline_at: new Date(now + deps.settings.toolTimeoutMs).toISOString() }, 1, deps);
  const settled = await ledger.settle(ids, clock.now());
  return settled.kind === "outcome" ? settled.outcome : null;
}
