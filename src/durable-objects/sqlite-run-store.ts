/**
 * The run's journal in Durable Object SQLite: the event log, the RunState snapshot and the
 * WorkflowState (written in the same transaction as the events they follow), the spans, the
 * outbox of effects and a few immutable facts. This store is the only writer of its tables, so
 * everything but the log is also kept in memory once read: the head of the log, the two states, the
 * spans, the outbox and the facts; reads cost no statement, and the memory copy moves only after
 * the transaction that wrote it committed. The log itself is read in pages, never whole. A commit
 * writes each table with one statement however many rows it brings (statements, not bytes, are
 * what a commit costs).
 */
import { parseEvent } from "../engine/events";
import type { EventType, RunEvent } from "../engine/events";
import { EMPTY_HEAD, dueAt, effectKey, prepareAppend } from "../engine/journal";
import type { AppendedEvent, Commit, Effect, EffectOutcome, LogHead, OutboxItem, RunStore } from "../engine/journal";
import type { Clock } from "../engine/ports";
import { RunState } from "../engine/state";
import { Span } from "../engine/trace";
import { WorkflowState } from "../engine/workflow";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, json TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spans (span_id TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT
);`;

type Row = Record<string, SqlStorageValue>;

/** Rows per multi-row statement (bound parameters stay well under SQLite's limit). */
const ROWS_PER_STATEMENT = 25;

/** `INSERT … VALUES (?, ?), (?, ?) …` for the rows, a statement per ROWS_PER_STATEMENT; `tail` follows the values. */
function insertRows(sql: SqlStorage, head: string, rows: SqlStorageValue[][], tail = ""): void {
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const placeholders = chunk.map((row) => `(${row.map(() => "?").join(", ")})`).join(", ");
    sql.exec(`${head} VALUES ${placeholders} ${tail}`, ...chunk.flat());
  }
}

export class SqliteRunStore implements RunStore {
  private readonly sql: SqlStorage;
  private head: LogHead;
  private wf: WorkflowState | null;

  /** False until the first commit: looking up a run that does not exist writes nothing. */
  private created: boolean;
  /** Read on first use, then kept (in start order, as the table's rowid has them). */
  private spanCache: Map<string, Span> | null = null;
  private outboxCache: Map<string, OutboxItem> | null = null;
  private readonly metaCache = new Map<string, string | null>();

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly clock: Clock,
  ) {
    this.sql = storage.sql;
    this.created =
      this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").toArray().length > 0;
    this.head = EMPTY_HEAD;
    this.wf = null;
    if (!this.created) return;
    const last = this.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").toArray()[0];
    const state = this.kv("state");
    const workflow = this.kv("workflow");
    if (last !== undefined) {
      this.head = { seq: last.seq, hash: last.hash, state: state === null ? null : RunState.parse(JSON.parse(state)) };
    }
    this.wf = workflow === null ? null : WorkflowState.parse(JSON.parse(workflow));
  }

  private kv(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray()[0];
    return row?.value ?? null;
  }

  state(): RunState | null {
    return this.head.state;
  }

  workflow(): WorkflowState | null {
    return this.wf;
  }

  meta(key: string): string | null {
    if (!this.created) return null;
    let value = this.metaCache.get(key);
    if (value === undefined) {
      value = this.kv(`meta:${key}`);
      this.metaCache.set(key, value);
    }
    return value;
  }

  commit(commit: Commit): AppendedEvent[] {
    const runId = this.head.state?.run_id ?? commit.workflow?.run_id ?? this.wf?.run_id ?? commit.run_id;
    const events = commit.events ?? [];
    if (events.length > 0 && runId === undefined) throw new Error("cannot append events before the run exists");
    const prepared =
      events.length > 0 ? prepareAppend(this.head, runId ?? "", events, new Date(commit.at ?? this.clock.now()).toISOString()) : null;
    // The outbox as it will be once this commits (read before the transaction: a read is no write).
    const outbox = (commit.outbox?.length ?? 0) + (commit.settled?.length ?? 0) > 0 ? new Map(this.outboxItems()) : null;
    const enqueued: SqlStorageValue[][] = [];
    for (const effect of commit.outbox ?? []) {
      const id = effectKey(effect);
      const item: OutboxItem = { id, version: (outbox?.get(id)?.version ?? 0) + 1, effect, attempts: 0, next_attempt_at: dueAt(effect, this.clock.now()) };
      // A newer effect under the same key replaces the older one, in its place (as its row keeps its rowid).
      outbox?.set(id, item);
      enqueued.push([id, item.version, JSON.stringify(effect), item.next_attempt_at]);
    }
    for (const key of commit.settled ?? []) outbox?.delete(key);
    const kv: SqlStorageValue[][] = [];
    if (prepared !== null) kv.push(["state", JSON.stringify(prepared.head.state)]);
    if (commit.workflow !== undefined) kv.push(["workflow", JSON.stringify(commit.workflow)]);
    for (const [key, value] of Object.entries(commit.meta ?? {})) kv.push([`meta:${key}`, value]);

    this.storage.transactionSync(() => {
      if (!this.created) this.sql.exec(SCHEMA);
      if (prepared !== null) {
        insertRows(this.sql, "INSERT INTO events (seq, type, json, hash)", prepared.rows.map((row) => [row.seq, row.type, row.json, row.hash]));
      }
      if (kv.length > 0) insertRows(this.sql, "INSERT INTO kv (key, value)", kv, "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
      if (commit.spans !== undefined && commit.spans.length > 0) {
        insertRows(
          this.sql,
          "INSERT INTO spans (span_id, json)",
          commit.spans.map((span) => [span.span_id, JSON.stringify(span)]),
          "ON CONFLICT(span_id) DO UPDATE SET json = excluded.json",
        );
      }
      if (enqueued.length > 0) {
        insertRows(
          this.sql,
          "INSERT INTO outbox (id, version, json, next_attempt_at)",
          enqueued,
          `ON CONFLICT(id) DO UPDATE SET version = excluded.version, json = excluded.json, attempts = 0,
             next_attempt_at = excluded.next_attempt_at, last_error = NULL`,
        );
      }
      const settled = commit.settled ?? [];
      if (settled.length > 0) this.sql.exec(`DELETE FROM outbox WHERE id IN (${settled.map(() => "?").join(", ")})`, ...settled);
    });
    // Only a transaction that committed moves what is kept in memory.
    this.created = true;
    if (prepared !== null) this.head = prepared.head;
    if (commit.workflow !== undefined) this.wf = commit.workflow;
    if (outbox !== null) this.outboxCache = outbox;
    if (commit.spans !== undefined && this.spanCache !== null) for (const span of commit.spans) this.spanCache.set(span.span_id, span);
    for (const [key, value] of Object.entries(commit.meta ?? {})) this.metaCache.set(key, value);
    return prepared?.rows.map(({ seq, type, json }) => ({ seq, type, json })) ?? [];
  }

  /** The outbox by id, in the order its rows were first written. */
  private outboxItems(): Map<string, OutboxItem> {
    if (this.outboxCache === null) {
      const rows = this.created ? this.sql.exec<Row>("SELECT id, version, json, attempts, next_attempt_at FROM outbox ORDER BY rowid").toArray() : [];
      this.outboxCache = new Map(
        rows.map((row) => [
          String(row.id),
          {
            id: String(row.id),
            version: Number(row.version),
            effect: JSON.parse(String(row.json)) as Effect,
            attempts: Number(row.attempts),
            next_attempt_at: Number(row.next_attempt_at),
          },
        ]),
      );
    }
    return this.outboxCache;
  }

  private spanMap(): Map<string, Span> {
    if (this.spanCache === null) {
      const rows = this.created ? this.sql.exec<{ json: string }>("SELECT json FROM spans ORDER BY rowid").toArray() : [];
      this.spanCache = new Map(rows.map((row) => Span.parse(JSON.parse(row.json))).map((span) => [span.span_id, span]));
    }
    return this.spanCache;
  }

  eventsAfter(after: number, limit: number): AppendedEvent[] {
    if (!this.created) return [];
    return this.sql
      .exec<{ seq: number; type: string; json: string }>(
        "SELECT seq, type, json FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        after,
        limit,
      )
      .toArray()
      .map((row) => ({ seq: row.seq, type: row.type as EventType, json: row.json }));
  }

  /** Hashes of events with `seq > after`, in order, for verifying the chain page by page. */
  rawEventsAfter(after: number, limit: number): { json: string }[] {
    if (!this.created) return [];
    return this.sql.exec<{ json: string }>("SELECT json FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit).toArray();
  }

  lastSeq(): number {
    return this.head.seq;
  }

  /** The whole log as parsed events, a page at a time. */
  *pages(pageSize = 500): Generator<RunEvent[]> {
    for (let after = 0; ; ) {
      const rows = this.rawEventsAfter(after, pageSize);
      if (rows.length === 0) return;
      yield rows.map((row) => parseEvent(JSON.parse(row.json)));
      after += rows.length;
      if (rows.length < pageSize) return;
    }
  }

  /** The spans in start order. Read-only: a span changes by committing a new version of it. */
  spans(): Span[] {
    return [...this.spanMap().values()];
  }

  span(spanId: string): Span | null {
    return this.spanMap().get(spanId) ?? null;
  }

  pendingEffects(now?: number): OutboxItem[] {
    const items = [...this.outboxItems().values()].filter((item) => now === undefined || item.next_attempt_at <= now);
    // Oldest due first; among equals, in the order they were first written.
    return items.sort((a, b) => a.next_attempt_at - b.next_attempt_at).map((item) => ({ ...item }));
  }

  settleEffect(item: OutboxItem, outcome: EffectOutcome): void {
    const kept = this.outboxItems().get(item.id);
    // A newer version replaced it: settling the older one changes nothing.
    if (kept === undefined || kept.version !== item.version) return;
    if (outcome.done) {
      this.sql.exec("DELETE FROM outbox WHERE id = ? AND version = ?", item.id, item.version);
      this.outboxItems().delete(item.id);
    } else {
      const error = outcome.error?.slice(0, 500) ?? null;
      this.sql.exec("UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND version = ?", outcome.at, error, item.id, item.version);
      this.outboxItems().set(item.id, { ...kept, attempts: kept.attempts + 1, next_attempt_at: outcome.at });
    }
  }
}
