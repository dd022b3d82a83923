/**
 * The outbox's effects performed with bindings: tool requests onto the Queue, the run's index row
 * and feedback into D1. Each is idempotent, because the outbox performs at least once.
 */
import type { EffectPort } from "../engine/runtime/deps";
import type { FeedbackRow, RunIndexRow } from "../engine/runtime/store";
import type { ToolRequestMessage } from "../engine/tools";

export class BindingEffects implements EffectPort {
  constructor(private readonly env: Env) {}

  async dispatchTool(message: ToolRequestMessage): Promise<void> {
    await this.env.TOOL_QUEUE.send(message, { contentType: "json" });
  }

  async upsertIndex(row: RunIndexRow): Promise<void> {
    await this.env.DB.prepare(
      `INSERT INTO runs (tenant_id, run_id, status, created_at, updated_at, message_preview) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(tenant_id, run_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
       WHERE excluded.updated_at >= runs.updated_at`,
    )
      .bind(row.tenant_id, row.run_id, row.status, row.created_at, row.updated_at, row.message_preview)
      .run();
  }

  async insertFeedback(row: FeedbackRow): Promise<void> {
    await this.env.DB.prepare(
      `INSERT INTO feedback (feedback_id, tenant_id, run_id, user_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(feedback_id) DO NOTHING`,
    )
      .bind(row.feedback_id, row.tenant_id, row.run_id, row.user_id, row.rating, row.comment, row.created_at)
      .run();
  }
}
