/**
 * The run store's tables, and how the rows a turn's commits leave are written to them: each table
 * with as few statements as Durable Object SQLite's bound-parameter limit allows, however many
 * rows a turn brings. The caller (sqlite-run-store.ts) wraps the write in its transaction.
 */
import type { AppendedEvent, OutboxItem } from "../engine/journal";
import type { RunState } from "../engine/state";
import type { Span } from "../engine/trace";
import type { WorkflowState } from "../engine/workflow";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, json TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spans (span_id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT
);`;

/** Bound parameters per statement: Durable Object SQLite allows at most 100 (platform limits). */
const MAX_BOUND_PARAMETERS = 100;

/** What commits changed since the last write: per table, the rows as they must end up. */
export interface Unwritten {
  events: (AppendedEvent & { hash: string })[];
  eventBytes: number;
  /** kv rows by key; the two states are serialised when written, once however often they changed. */
  kv: Map<string, string | RunState | WorkflowState>;
  spans: Map<string, Span>;
  /** Outbox rows by id: the row to upsert, or null to delete it. */
  outbox: Map<string, SqlStorageValue[] | null>;
  /** Called once the rows are written (events handed to subscribers), in commit order. */
  written: (() => void)[];
}

/** Rows of no commit yet. */
export function noRows(): Unwritten {
  return { events: [], eventBytes: 0, kv: new Map(), spans: new Map(), outbox: new Map(), written: [] };
}

/** `INSERT … VALUES (?, ?), (?, ?) …` for the rows, as few statements as the parameter limit allows; `tail` follows the values. */
function insertRows(sql: SqlStorage, head: string, rows: SqlStorageValue[][], tail = ""): void {
  const perStatement = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / (rows[0]?.length ?? 1)));
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const placeholders = chunk.map((row) => `(${row.map(() => "?").join(", ")})`).join(", ");
    sql.exec(`${head} VALUES ${placeholders} ${tail}`, ...chunk.flat());
  }
}

export function outboxRow(item: OutboxItem, error: string | null): SqlStorageValue[] {
  return [item.id, item.version, JSON.stringify(item.effect), item.attempts, item.next_attempt_at, error];
}

/** Writes `rows` (creating the tables first when `create`), inside the caller's transaction. */
export function writeRows(sql: SqlStorage, rows: Unwritten, create: boolean): void {
  if (create) sql.exec(SCHEMA);
  if (rows.events.length > 0) {
    insertRows(sql, "INSERT INTO events (seq, type, json, hash)", rows.events.map((e) => [e.seq, e.type, e.json, e.hash]));
  }
  if (rows.kv.size > 0) {
    const kv = [...rows.kv].map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]);
    insertRows(sql, "INSERT INTO kv (key, value)", kv, "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  }
  if (rows.spans.size > 0) {
    const spans = [...rows.spans.values()].map((span) => [span.span_id, JSON.stringify(span)]);
    insertRows(sql, "INSERT INTO spans (span_id, json)", spans, "ON CONFLICT(span_id) DO UPDATE SET json = excluded.json");
  }
  const upserts = [...rows.outbox.values()].filter((row) => row !== null);
  if (upserts.length > 0) {
    insertRows(
      sql,
      "INSERT INTO outbox (id, version, json, attempts, next_attempt_at, last_error)",
      upserts,
      `ON CONFLICT(id) DO UPDATE SET version = excluded.version, json = excluded.json, attempts = excluded.attempts,
         next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error`,
    );
  }
  const deleted = [...rows.outbox].flatMap(([id, row]) => (row === null ? [id] : []));
  for (let i = 0; i < deleted.length; i += MAX_BOUND_PARAMETERS) {
    const ids = deleted.slice(i, i + MAX_BOUND_PARAMETERS);
    sql.exec(`DELETE FROM outbox WHERE id IN (${ids.map(() => "?").join(", ")})`, ...ids);
  }
}
