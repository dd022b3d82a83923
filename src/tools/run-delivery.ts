/**
 * Delivery of an outcome to its run object (the api worker's RunObject, `deliverToolResult` RPC,
 * idempotent on request_id). The answer crosses a worker boundary, so it is parsed. A throw means
 * no answer: the outcome is not acknowledged and must be delivered again.
 */
import { runObjectName } from "../engine/ids";
import { DeliveryResult, type ToolOutcome } from "../engine/tool-protocol";
import type { RunDeliveryTarget } from "./env";
import { objectNamed } from "../adapters/named-object";

export async function deliverToRun(
  runs: DurableObjectNamespace<RunDeliveryTarget>,
  tenantId: string,
  runId: string,
  outcome: ToolOutcome,
): Promise<DeliveryResult> {
  return DeliveryResult.parse(await objectNamed(runs, runObjectName(tenantId, runId)).deliverToolResult(outcome));
}
