/**
 * The outbox's effects performed with bindings: tool requests onto the Queue, the run's index row
 * and feedback into D1, a thread run's end to its ThreadObject. Each is idempotent, because the outbox performs at least once (and re-sends
 * a tool request until its outcome arrives).
 */
import type { FeedbackRow, RunIndexRow } from "../engine/journal";
import type { EffectPort } from "../engine/runtime/deps";
import type { RunEndedNotice } from "../engine/threads/shapes";
import { threadObjectName } from "../engine/threads/shapes";
import type { ToolRequestMessage } from "../engine/tool-protocol";
import { insertFeedback, upsertRun } from "./d1-run-index";

export class BindingEffects implements EffectPort {
  constructor(private readonly env: Pick<Env, "TOOL_QUEUE" | "DB" | "THREAD_OBJECT">) {}

  async dispatchTool(message: ToolRequestMessage): Promise<void> {
    await this.env.TOOL_QUEUE.send(message, { contentType: "json" });
  }

  upsertIndex(row: RunIndexRow): Promise<void> {
    return upsertRun(this.env.DB, row);
  }

  insertFeedback(row: FeedbackRow): Promise<void> {
    return insertFeedback(this.env.DB, row);
  }

  async notifyThread(notice: RunEndedNotice): Promise<void> {
    await this.env.THREAD_OBJECT.getByName(threadObjectName(notice.tenant_id, notice.thread_id)).runEnded(notice);
  }
}
