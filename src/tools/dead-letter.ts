/**
 * The dead-letter consumer: a tool request that failed every retry still ends, so that no run waits
 * for it for ever. If the request already has an outcome (only its delivery kept failing) that one
 * is delivered; otherwise the last transient server error becomes `tool.server.error`, and anything
 * else `tool.failed` with code `tool_dead_lettered`.
 */
import type { ToolOutcome } from "../engine/tool-protocol";
import { MessageIds, serverError, settle, type Disposition, type HandlerDeps } from "./request-handler";

export async function handleDeadLetter(body: unknown, attempts: number, deps: HandlerDeps): Promise<Disposition> {
  const ids = MessageIds.safeParse(body);
  if (!ids.success) {
    deps.logger.log("error", "tool.dead_letter_unreadable", {});
    return { kind: "ack" };
  }
  const { request_id, run_id, tenant_id, tool } = ids.data;
  const record = await deps.ledger(tenant_id, run_id).inspect(request_id);
  const server = ids.data.server ?? tool.split(".")[0] ?? tool;
  const fallback: ToolOutcome = record?.last_error
    ? serverError(request_id, server, record.last_error)
    : {
        request_id,
        status: "failed",
        error: { code: "tool_dead_lettered", message: "the tool call could not be completed after repeated attempts" },
        retryable: false,
      };
  deps.logger.log("warn", "tool.dead_lettered", { request_id, run_id, tenant_id, tool, had_outcome: record?.outcome != null });
  return settle(ids.data, fallback, attempts, deps);
}
