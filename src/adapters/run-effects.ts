/**
 * The outbox's effects performed with bindings: tool requests onto the Queue, the run's index row
 * to its tenant (which batches index rows into D1), feedback into D1, the end of the run to those
 * who count it (its tenant's admission, its thread), and the settlement of a call whose deadline
 * passed (the executor's ledger). Each is idempotent, because the outbox performs at least once
 * (and re-sends a tool request until its outcome arrives).
 */
import type { FeedbackRow, RunIndexRow } from "../engine/journal";
import type { EffectPort } from "../engine/runtime/deps";
import type { RunEndedNotice } from "../engine/run-ended";
import { threadObjectName } from "../engine/threads/shapes";
import { ToolOutcome } from "../engine/tool-protocol";
import type { ToolRequestMessage } from "../engine/tool-protocol";
import { insertFeedback } from "./d1-run-index";

export class BindingEffects implements EffectPort {
  constructor(private readonly env: Pick<Env, "TOOL_QUEUE" | "DB" | "TENANT_OBJECT" | "THREAD_OBJECT" | "TOOLS">) {}

  async dispatchTool(message: ToolRequestMessage): Promise<void> {
    await this.env.TOOL_QUEUE.send(message, { contentType: "json" });
  }

  /** To the run's tenant, which writes the index rows of its runs to D1 in batches. */
  async upsertIndex(row: RunIndexRow): Promise<void> {
    await this.env.TENANT_OBJECT.getByName(row.tenant_id).index(row);
  }

  insertFeedback(row: FeedbackRow): Promise<void> {
    return insertFeedback(this.env.DB, row);
  }

  async settleTool(message: ToolRequestMessage): Promise<ToolOutcome | null> {
    // The answer crosses a worker boundary: parsed like every delivery.
    return ToolOutcome.nullable().parse(await this.env.TOOLS.settleRequest(message));
  }

  /**
   * Frees the run's admission slot and hands its tenant the final index row (one call), and tells
   * its thread (which starts the next queued run).
   */
  async runEnded(notice: RunEndedNotice): Promise<void> {
    const { tenant_id, run_id, thread, status, output, refused } = notice;
    await Promise.all([
      this.env.TENANT_OBJECT.getByName(tenant_id).release({ run_id, index: notice.index }),
      thread === null
        ? null
        : this.env.THREAD_OBJECT.getByName(threadObjectName(tenant_id, thread.thread_id)).runEnded({ tenant_id, run_id, status, output, refused, ...thread }),
    ]);
  }
}
