/**
 * The outbox's effects performed with bindings: tool requests onto the Queue, the run's index row
 * and feedback into D1, the end of the run to its tenant's admission (TenantObject). Each is
 * idempotent, because the outbox performs at least once (and re-sends a tool request until its
 * outcome arrives).
 */
import type { FeedbackRow, RunIndexRow } from "../engine/journal";
import type { EffectPort } from "../engine/runtime/deps";
import type { RunEndedNotice } from "../engine/run-ended";
import type { ToolRequestMessage } from "../engine/tool-protocol";
import { insertFeedback, upsertRun } from "./d1-run-index";

export class BindingEffects implements EffectPort {
  constructor(private readonly env: Pick<Env, "TOOL_QUEUE" | "DB" | "TENANT_OBJECT">) {}

  async dispatchTool(message: ToolRequestMessage): Promise<void> {
    await this.env.TOOL_QUEUE.send(message, { contentType: "json" });
  }

  upsertIndex(row: RunIndexRow): Promise<void> {
    return upsertRun(this.env.DB, row);
  }

  insertFeedback(row: FeedbackRow): Promise<void> {
    return insertFeedback(this.env.DB, row);
  }

  /** Frees the run's admission slot. (A thread's run also tells its ThreadObject, once threads exist.) */
  async runEnded(notice: RunEndedNotice): Promise<void> {
    await this.env.TENANT_OBJECT.getByName(notice.tenant_id).release({ run_id: notice.run_id });
  }
}
