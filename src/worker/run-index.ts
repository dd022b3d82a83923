/**
 * The tenant's run index in D1, behind `GET /runs`. Rows are written by each run's object (its
 * outbox), newest first by creation time; the cursor is the position of the last row returned.
 */
import { z } from "zod";
import { ApiError } from "./errors";

const Cursor = z.tuple([z.string(), z.string()]);

function encodeCursor(createdAt: string, runId: string): string {
  return btoa(JSON.stringify([createdAt, runId])).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    return Cursor.parse(JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))));
  } catch {
    throw new ApiError("invalid_request", "query.cursor: is not a cursor this API returned", [
      { path: "query.cursor", message: "is not a cursor this API returned" },
    ]);
  }
}

interface Row {
  run_id: string;
  status: string;
  created_at: string;
  message_preview: string;
}

export async function listRuns(db: D1Database, tenantId: string, limit: number, cursor?: string) {
  const after = cursor === undefined ? null : decodeCursor(cursor);
  const statement =
    after === null
      ? db
          .prepare(
            `SELECT run_id, status, created_at, message_preview FROM runs WHERE tenant_id = ?
             ORDER BY created_at DESC, run_id DESC LIMIT ?`,
          )
          .bind(tenantId, limit + 1)
      : db
          .prepare(
            `SELECT run_id, status, created_at, message_preview FROM runs WHERE tenant_id = ?
             AND (created_at < ? OR (created_at = ? AND run_id < ?))
             ORDER BY created_at DESC, run_id DESC LIMIT ?`,
          )
          .bind(tenantId, after[0], after[0], after[1], limit + 1);
  const { results } = await statement.all<Row>();
  const page = results.slice(0, limit);
  const last = page.at(-1);
  return {
    runs: page.map((r) => ({ run_id: r.run_id, status: r.status, created_at: r.created_at, message_preview: r.message_preview })),
    next_cursor: results.length > limit && last !== undefined ? encodeCursor(last.created_at, last.run_id) : null,
  };
}
