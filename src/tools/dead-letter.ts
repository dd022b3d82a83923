/**
 * The dead-letter consumer: a tool request that failed every retry still ends, so that no run waits
 * for it for ever. What it records depends on what the ledger knows of the request:
 * - an outcome already stands (only its delivery kept failing): that one is delivered;
 * - an attempt holds the request right now: nothing; that attempt records its outcome, and the
 *   ledger delivers it;
 * - an attempt died mid-call (its lease ran out, no outcome): `tool_outcome_unknown`, since its
 *   effect may have happened;
 * - the last attempt hit a transient server error: `tool.server.error`;
 * - anything else: `tool.failed` with code `tool_dead_lettered`.
 */
import type { ToolOutcome } from "../engine/tool-protocol";
import { MessageIds, serverError, settle, type Disposition, type HandlerDeps } from "./request-handler";

export async function handleDeadLetter(body: unknown, deps: HandlerDeps): Promise<Disposition> {
  const ids = MessageIds.safeParse(body);
  if (!ids.success) {
    deps.logger.log("error", "tool.dead_letter_unreadable", {});
    return { kind: "ack" };
  }
  const { request_id, run_id, tenant_id, tool } = ids.data;
  const record = await deps.ledger(tenant_id, run_id).inspect(request_id);
  const now = deps.clock.now();
  if (record !== null && record.outcome === null && record.lease_until > now) {
    deps.logger.log("warn", "tool.dead_lettered_in_flight", { request_id, run_id, tenant_id, tool });
    return { kind: "ack" };
  }
  const server = ids.data.server ?? tool.split(".")[0] ?? tool;
  const diedMidCall = record !== null && record.outcome === null && record.attempts > 0 && record.lease_until !== 0;
  let fallback: ToolOutcome;
  if (diedMidCall) {
    const message = "an attempt of this call stopped mid-way and it could not be completed; its effect may have happened";
    fallback = { request_id, status: "failed", error: { code: "tool_outcome_unknown", message }, retryable: false };
  } else if (record?.last_error) {
    fallback = serverError(request_id, server, record.last_error);
  } else {
    const message = "the tool call could not be completed after repeated attempts";
    fallback = { request_id, status: "failed", error: { code: "tool_dead_lettered", message }, retryable: false };
  }
  deps.logger.log("warn", "tool.dead_lettered", { request_id, run_id, tenant_id, tool, had_outcome: record?.outcome != null });
  return settle(ids.data, fallback, deps);
}
