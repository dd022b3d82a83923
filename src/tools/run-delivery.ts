/**
 * Delivery of an outcome to its run object (the api worker's RunObject, `deliverToolResult` RPC,
 * idempotent on request_id). The answer crosses a worker boundary, so it is parsed. A throw means
 * no answer: the outcome is not acknowledged and must be delivered again.
 */
import { DeliveryResult, type ToolOutcome } from "../engine/tool-protocol";
import type { RunDeliveryTarget } from "./env";
import { objectForRun } from "../adapters/named-object";

export async function deliverToRun(
  runs: DurableObjectNamespace<RunDeliveryTarget>,
  tenantId: string,
  runId: string,
  outcome: ToolOutcome,
): Promise<DeliveryResult> {
  return DeliveryResult.parse(await objectForRun(runs, tenantId, runId).deliverToolResult(outcome));
}
