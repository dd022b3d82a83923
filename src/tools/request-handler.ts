/**
 * One tool-request message, end to end: parse (zod), claim the request in the run's ledger, run the
 * pipeline, persist the outcome, deliver it to the run object, and say whether the Queue should ack
 * or retry. Idempotent on `request_id`: a redelivered or re-sent message of a finished request
 * redelivers the stored outcome, one that arrives while an attempt holds the request waits for it,
 * and one that finds an attempt died mid-call takes over (execute.ts decides whether the call may
 * be repeated). Once an outcome is persisted the message is acked: the ledger owns its delivery
 * from then on and redelivers it until the run acknowledges it.
 */
import { z } from "zod";
import type { ErrorInfo } from "../engine/events";
import type { Logger } from "../engine/ports";
import { ToolRequestMessage, type DeliveryResult, type ToolOutcome } from "../engine/tool-protocol";
import { executeRequest, type ExecuteDeps } from "./execute";
import { callTimeoutMs } from "./firewall";
import type { CallLedger, RequestIds } from "./ledger";

export type Disposition = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

export type LedgerPort = Pick<CallLedger, "claim" | "release" | "finish" | "recordDelivery" | "inspect" | "settle">;

export interface HandlerDeps extends ExecuteDeps {
  ledger(tenantId: string, runId: string): LedgerPort;
  deliver(tenantId: string, runId: string, outcome: ToolOutcome): Promise<DeliveryResult>;
  logger: Logger;
}

/** What is needed to end a request, readable even from a message that fails the full schema. */
export const MessageIds = z.object({
  request_id: z.string().min(1),
  run_id: z.string().min(1),
  tenant_id: z.string().min(1),
  tool: z.string().default("unknown"),
  server: z.string().optional(),
});
export type MessageIds = z.infer<typeof MessageIds>;

/** Beyond the call's own timeout, how long a claim is held before another attempt may take over. */
const LEASE_MARGIN_MS = 5_000;
const MAX_BACKOFF_S = 30;

export function backoffSeconds(attempts: number): number {
  return Math.min(MAX_BACKOFF_S, 2 ** Math.max(0, attempts - 1));
}

/** Persists `outcome` (unless one stands already) and delivers the one that stands. */
export async function settle(ids: MessageIds, outcome: ToolOutcome, deps: HandlerDeps): Promise<Disposition> {
  const ledger = deps.ledger(ids.tenant_id, ids.run_id);
  const stored = await ledger.finish(ledgerIds(ids), outcome, deps.clock.now());
  return deliverStored(ids, stored, deps);
}

function ledgerIds(ids: MessageIds): RequestIds {
  return { request_id: ids.request_id, tenant_id: ids.tenant_id, run_id: ids.run_id, tool: ids.tool };
}

/**
 * Delivers a persisted outcome once, now. Whatever happens the message is acked: an answer is the
 * run's acknowledgement, and a delivery that gets none is the ledger's to redeliver (its alarm is
 * armed whenever an outcome is unacknowledged).
 */
async function deliverStored(ids: MessageIds, outcome: ToolOutcome, deps: HandlerDeps): Promise<Disposition> {
  const log = deps.logger.child({ run_id: ids.run_id, tenant_id: ids.tenant_id, request_id: ids.request_id, tool: ids.tool });
  let answer: DeliveryResult;
  try {
    answer = await deps.deliver(ids.tenant_id, ids.run_id, outcome);
  } catch (error) {
    log.log("warn", "tool.delivery_failed", { error: error instanceof Error ? error.message : String(error), then: "the ledger redelivers it" });
    return { kind: "ack" };
  }
  await deps.ledger(ids.tenant_id, ids.run_id).recordDelivery(ids.request_id, answer.status, deps.clock.now(), "queue");
  // All four answers are final. unknown: the run has no such request, which no redelivery can
  // change (runs persist a request before they send it), so it is logged and dropped.
  // Routine when the run took it (debug: one line per tool call costs more than the call, see README).
  log.log(answer.status === "unknown" ? "warn" : "debug", "tool.delivered", { status: outcome.status, delivery: answer.status });
  return { kind: "ack" };
}

function invalidMessage(ids: MessageIds, error: z.ZodError): ToolOutcome {
  return {
    request_id: ids.request_id,
    status: "failed",
    error: { code: "invalid_message", message: `the tool request is malformed: ${z.prettifyError(error).slice(0, 300)}` },
    retryable: false,
  };
}

export async function handleToolRequest(body: unknown, attempts: number, deps: HandlerDeps): Promise<Disposition> {
  const parsed = ToolRequestMessage.safeParse(body);
  if (!parsed.success) {
    const ids = MessageIds.safeParse(body);
    if (!ids.success) {
      deps.logger.log("error", "tool.message_unreadable", { error: z.prettifyError(parsed.error).slice(0, 500) });
      return { kind: "ack" };
    }
    return settle(ids.data, invalidMessage(ids.data, parsed.error), deps);
  }
  const msg = parsed.data;
  const ids: MessageIds = { request_id: msg.request_id, run_id: msg.run_id, tenant_id: msg.tenant_id, tool: msg.tool, server: msg.server };
  const ledger = deps.ledger(msg.tenant_id, msg.run_id);
  const now = deps.clock.now();
  const leaseMs = callTimeoutMs(deps.settings, msg.deadline_at, now) + LEASE_MARGIN_MS;
  const claim = await ledger.claim(ledgerIds(ids), now, leaseMs);
  if (claim.kind === "done") return deliverStored(ids, claim.outcome, deps);
  if (claim.kind === "busy") return { kind: "retry", delaySeconds: Math.max(1, Math.ceil(claim.retryAfterMs / 1000)) };

  const execution = await executeRequest(msg, claim, deps);
  if (execution.kind === "outcome") return settle(ids, execution.outcome, deps);

  // A transient server failure: retry through the Queue while the run still waits, else end it.
  const delaySeconds = backoffSeconds(attempts);
  if (deps.clock.now() + delaySeconds * 1000 < Date.parse(msg.deadline_at)) {
    await ledger.release(msg.request_id, execution.error);
    deps.logger.log("warn", "tool.retry_scheduled", { request_id: msg.request_id, attempts, delaySeconds, error: execution.error });
    return { kind: "retry", delaySeconds };
  }
  return settle(ids, serverError(msg.request_id, execution.server, execution.error), deps);
}

export function serverError(requestId: string, server: string, error: ErrorInfo): ToolOutcome {
  return { request_id: requestId, status: "server_error", server, error };
}
