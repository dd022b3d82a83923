/**
 * Settlement at a tool wait's deadline: before a call with no outcome is declared unknown, the
 * executor is asked for its outcome, either the one it recorded but could not deliver (a lost
 * message, a kill between doing and reporting) or the fence that keeps a call no attempt has run
 * from ever running. The runtime records each answer like a delivery (the executor may have
 * delivered it meanwhile too: one is recorded, the other is a duplicate). An executor that cannot
 * say, or does not answer within SETTLE_TIMEOUT_MS, leaves the call to the deadline.
 */
import type { RunState } from "../state";
import { dispatchedMessage } from "../tool-dispatch";
import type { ToolOutcome } from "../tool-protocol";
import type { RuntimeDeps } from "./deps";

/** Room for an attempt under way to finish and for one call to run (its timeout, 10 s by default). */
const SETTLE_TIMEOUT_MS = 25_000;

/**
 * Asks the executor about every call of `state` past its deadline that this wake has not asked
 * about yet (`asked` remembers them). Null when there was none to ask; otherwise the outcomes it
 * gave, which may be none.
 */
export async function settleOverdue(
  deps: Pick<RuntimeDeps, "effects" | "clock" | "logger">,
  state: RunState,
  nowMs: number,
  asked: Set<string>,
): Promise<ToolOutcome[] | null> {
  const overdue = state.tool_requests.filter(
    (r) => r.status === "dispatched" && r.deadline !== null && Date.parse(r.deadline) <= nowMs && !asked.has(r.request_id),
  );
  if (overdue.length === 0) return null;
  for (const request of overdue) asked.add(request.request_id);
  const { effects, clock, logger } = deps;
  const answers = await Promise.all(
    overdue.map((request) =>
      Promise.race([effects.settleTool(dispatchedMessage(state, request)), clock.sleep(SETTLE_TIMEOUT_MS).then(() => null)]).catch(
        (error: unknown) => {
          logger.log("warn", "tool settlement failed", { request_id: request.request_id, error: error instanceof Error ? error.message : String(error) });
          return null;
        },
      ),
    ),
  );
  return answers.filter((outcome): outcome is ToolOutcome => outcome !== null);
}
