/**
 * The run index and the feedback table in D1: the one place that reads and writes them. A run's
 * rows reach its tenant's TenantObject through the run's outbox, and the tenant writes them in
 * batches (`upsertRuns`); a run writes its feedback itself (`insertFeedback`); `GET /runs` reads a
 * tenant's rows newest first (`listRuns`). The tables create themselves when missing
 * (d1-schema.ts), so the engine works however `wrangler dev` was started; `migrations/` holds the
 * same statements for `wrangler d1 migrations apply`.
 */
import type { FeedbackRow, RunIndexRow } from "../engine/journal";
import { withSchema } from "./d1-schema";

/** The statements of migrations/0001_runs.sql (a test keeps the two equal). */
export const RUN_INDEX_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS runs (
  tenant_id       TEXT NOT NULL,
  run_id          TEXT NOT NULL,
  status          TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  message_preview TEXT NOT NULL,
  PRIMARY KEY (tenant_id, run_id)
)`,
  "CREATE INDEX IF NOT EXISTS runs_by_tenant_created ON runs (tenant_id, created_at DESC, run_id DESC)",
  `CREATE TABLE IF NOT EXISTS feedback (
  feedback_id TEXT PRIMARY KEY,
  tenant_id   TEXT NOT NULL,
  run_id      TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  rating      TEXT NOT NULL CHECK (rating IN ('up', 'down')),
  comment     TEXT,
  created_at  TEXT NOT NULL
)`,
  "CREATE INDEX IF NOT EXISTS feedback_by_run ON feedback (tenant_id, run_id)",
];

export interface RunSummaryRow {
  run_id: string;
  status: string;
  created_at: string;
  message_preview: string;
}

/** Where a page of runs starts: after this row, in newest-first order. */
export interface RunPosition {
  created_at: string;
  run_id: string;
}

/** Rows per upsert statement: six parameters a row, and D1 binds at most 100 per statement. */
const ROWS_PER_UPSERT = 16;

/** Writes rows in one D1 request; a row never replaces a newer one for the same run. */
export async function upsertRuns(db: D1Database, rows: readonly RunIndexRow[]): Promise<void> {
  if (rows.length === 0) return;
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_UPSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_UPSERT);
    statements.push(
      db
        .prepare(
          `INSERT INTO runs (tenant_id, run_id, status, created_at, updated_at, message_preview) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?)").join(", ")}
           ON CONFLICT(tenant_id, run_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
           WHERE excluded.updated_at >= runs.updated_at`,
        )
        .bind(...chunk.flatMap((row) => [row.tenant_id, row.run_id, row.status, row.created_at, row.updated_at, row.message_preview])),
    );
  }
  await withSchema(db, RUN_INDEX_SCHEMA, () => db.batch(statements));
}

export async function insertFeedback(db: D1Database, row: FeedbackRow): Promise<void> {
  await withSchema(db, RUN_INDEX_SCHEMA, () =>
    db
      .prepare(
        `INSERT INTO feedback (feedback_id, tenant_id, run_id, user_id, rating, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(feedback_id) DO NOTHING`,
      )
      .bind(row.feedback_id, row.tenant_id, row.run_id, row.user_id, row.rating, row.comment, row.created_at)
      .run(),
  );
}

/** Up to `limit` of the tenant's runs after `after`, newest first, and whether more follow. */
export async function listRuns(
  db: D1Database,
  tenantId: string,
  limit: number,
  after: RunPosition | null,
): Promise<{ runs: RunSummaryRow[]; more: boolean }> {
  const columns = "SELECT run_id, status, created_at, message_preview FROM runs WHERE tenant_id = ?";
  const order = "ORDER BY created_at DESC, run_id DESC LIMIT ?";
  const statement =
    after === null
      ? db.prepare(`${columns} ${order}`).bind(tenantId, limit + 1)
      : db
          .prepare(`${columns} AND (created_at < ? OR (created_at = ? AND run_id < ?)) ${order}`)
          .bind(tenantId, after.created_at, after.created_at, after.run_id, limit + 1);
  const { results } = await withSchema(db, RUN_INDEX_SCHEMA, () => statement.all<RunSummaryRow>());
  return {
    runs: results.slice(0, limit).map((r) => ({ run_id: r.run_id, status: r.status, created_at: r.created_at, message_preview: r.message_preview })),
    more: results.length > limit,
  };
}
