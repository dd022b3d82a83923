/**
 * The thread index in D1 (`GET /threads`): the one place that reads and writes it. Each thread
 * object writes its own row after every change that a list shows (a new message, a run ending),
 * at least once; `version` orders the writes, so a retried older write never replaces a newer
 * row. The schema applies itself when its table is missing (d1-schema.ts), and
 * migrations/0002_threads.sql holds the same statements for `wrangler d1 migrations apply`.
 */

import { withSchema } from "./d1-schema";

/** The statements of migrations/0002_threads.sql (a test keeps the two equal). */
export const THREAD_INDEX_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS threads (
  tenant_id  TEXT NOT NULL,
  thread_id  TEXT NOT NULL,
  status     TEXT NOT NULL,
  turns      INTEGER NOT NULL,
  title      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, thread_id)
)`,
  "CREATE INDEX IF NOT EXISTS threads_by_tenant_updated ON threads (tenant_id, updated_at DESC, thread_id DESC)",
];

export interface ThreadIndexRow {
  tenant_id: string;
  thread_id: string;
  status: "idle" | "busy";
  turns: number;
  title: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface ThreadSummaryRow {
  thread_id: string;
  status: string;
  turns: number;
  title: string;
  updated_at: string;
}

/** Where a page of threads starts: after this row, most recently active first. */
export interface ThreadPosition {
  updated_at: string;
  thread_id: string;
}

export async function upsertThread(db: D1Database, row: ThreadIndexRow): Promise<void> {
  await withSchema(db, THREAD_INDEX_SCHEMA, () =>
    db
      .prepare(
        `INSERT INTO threads (tenant_id, thread_id, status, turns, title, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(tenant_id, thread_id) DO UPDATE SET status = excluded.status, turns = excluded.turns, title = excluded.title,
           updated_at = excluded.updated_at, version = excluded.version
         WHERE excluded.version > threads.version`,
      )
      .bind(row.tenant_id, row.thread_id, row.status, row.turns, row.title, row.created_at, row.updated_at, row.version)
      .run(),
  );
}

/** Up to `limit` of the tenant's threads after `after`, most recently active first, and whether more follow. */
export async function listThreads(
  db: D1Database,
  tenantId: string,
  limit: number,
  after: ThreadPosition | null,
): Promise<{ threads: ThreadSummaryRow[]; more: boolean }> {
  const columns = "SELECT thread_id, status, turns, title, updated_at FROM threads WHERE tenant_id = ?";
  const order = "ORDER BY updated_at DESC, thread_id DESC LIMIT ?";
  const statement =
    after === null
      ? db.prepare(`${columns} ${order}`).bind(tenantId, limit + 1)
      : db
          .prepare(`${columns} AND (updated_at < ? OR (updated_at = ? AND thread_id < ?)) ${order}`)
          .bind(tenantId, after.updated_at, after.updated_at, after.thread_id, limit + 1);
  const { results } = await withSchema(db, THREAD_INDEX_SCHEMA, () => statement.all<ThreadSummaryRow>());
  return {
    threads: results.slice(0, limit).map((r) => ({ thread_id: r.thread_id, status: r.status, turns: r.turns, title: r.title, updated_at: r.updated_at })),
    more: results.length > limit,
  };
}
