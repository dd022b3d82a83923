/**
 * The run's journal in Durable Object SQLite: the event log, the RunState snapshot and the
 * WorkflowState (written in the same transaction as the events they follow), the spans, the
 * outbox of effects and a few immutable facts. The head of the log and the two states are cached
 * in memory; the log itself is read in pages, never whole.
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

export class SqliteRunStore implements RunStore {
  private readonly sql: SqlStorage;
  private head: LogHead;
  private wf: WorkflowState | null;

  /** False until the first commit: looking up a run that does not exist writes nothing. */
  private created: boolean;

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

  private putKv(key: string, value: string): void {
    this.sql.exec("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
  }

  state(): RunState | null {
    return this.head.state;
  }

  workflow(): WorkflowState | null {
    return this.wf;
  }

  meta(key: string): string | null {
    return this.created ? this.kv(`meta:${key}`) : null;
  }

  commit(commit: Commit): AppendedEvent[] {
    const runId = this.head.state?.run_id ?? commit.workflow?.run_id ?? this.wf?.run_id ?? commit.run_id;
    const events = commit.events ?? [];
    if (events.length > 0 && runId === undefined) throw new Error("cannot append events before the run exists");
    const prepared =
      events.length > 0 ? prepareAppend(this.head, runId ?? "", events, new Date(commit.at ?? this.clock.now()).toISOString()) : null;
    this.storage.transactionSync(() => {
      if (!this.created) this.sql.exec(SCHEMA);
      if (prepared !== null) {
        for (const row of prepared.rows) {
          this.sql.exec("INSERT INTO events (seq, type, json, hash) VALUES (?, ?, ?, ?)", row.seq, row.type, row.json, row.hash);
        }
        this.putKv("state", JSON.stringify(prepared.head.state));
      }
      if (commit.workflow !== undefined) this.putKv("workflow", JSON.stringify(commit.workflow));
      for (const span of commit.spans ?? []) {
        this.sql.exec(
          "INSERT INTO spans (span_id, json) VALUES (?, ?) ON CONFLICT(span_id) DO UPDATE SET json = excluded.json",
          span.span_id,
          JSON.stringify(span),
        );
      }
      for (const effect of commit.outbox ?? []) this.enqueue(effect);
      for (const key of commit.settled ?? []) this.sql.exec("DELETE FROM outbox WHERE id = ?", key);
      for (const [key, value] of Object.entries(commit.meta ?? {})) this.putKv(`meta:${key}`, value);
    });
    // Only a transaction that committed moves the in-memory head.
    this.created = true;
    if (prepared !== null) this.head = prepared.head;
    if (commit.workflow !== undefined) this.wf = commit.workflow;
    return prepared?.rows.map(({ seq, type, json }) => ({ seq, type, json })) ?? [];
  }

  private enqueue(effect: Effect): void {
    this.sql.exec(
      `INSERT INTO outbox (id, version, json, attempts, next_attempt_at) VALUES (?, 1, ?, 0, ?)
       ON CONFLICT(id) DO UPDATE SET version = version + 1, json = excluded.json, attempts = 0,
         next_attempt_at = excluded.next_attempt_at, last_error = NULL`,
      effectKey(effect),
      JSON.stringify(effect),
      dueAt(effect, this.clock.now()),
    );
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

  spans(): Span[] {
    if (!this.created) return [];
    return this.sql
      .exec<{ json: string }>("SELECT json FROM spans ORDER BY rowid")
      .toArray()
      .map((row) => Span.parse(JSON.parse(row.json)));
  }

  span(spanId: string): Span | null {
    if (!this.created) return null;
    const row = this.sql.exec<{ json: string }>("SELECT json FROM spans WHERE span_id = ?", spanId).toArray()[0];
    return row === undefined ? null : Span.parse(JSON.parse(row.json));
  }

  pendingEffects(now?: number): OutboxItem[] {
    if (!this.created) return [];
    const rows =
      now === undefined
        ? this.sql.exec<Row>("SELECT * FROM outbox ORDER BY next_attempt_at, rowid").toArray()
        : this.sql.exec<Row>("SELECT * FROM outbox WHERE next_attempt_at <= ? ORDER BY next_attempt_at, rowid", now).toArray();
    return rows.map((row) => ({
      id: String(row.id),
      version: Number(row.version),
      effect: JSON.parse(String(row.json)) as Effect,
      attempts: Number(row.attempts),
      next_attempt_at: Number(row.next_attempt_at),
    }));
  }

  settleEffect(item: OutboxItem, outcome: EffectOutcome): void {
    if (outcome.done) {
      this.sql.exec("DELETE FROM outbox WHERE id = ? AND version = ?", item.id, item.version);
    } else {
      this.sql.exec(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND version = ?",
        outcome.at,
        outcome.error?.slice(0, 500) ?? null,
        item.id,
        item.version,
      );
    }
  }
}
