/**
 * The run's journal in Durable Object SQLite: the event log, the RunState snapshot and the
 * WorkflowState (written in the same transaction as the events they follow), the spans, the
 * outbox of effects and a few immutable facts. This store is the only writer of its tables, so
 * everything but the log is also kept in memory once read: the head of the log, the two states, the
 * spans, the outbox and the facts; reads cost no statement. The log itself is read in pages.
 *
 * Commits are written at the end of the turn (group commit). A commit is applied in memory at once
 * (the engine reads its own writes), and its rows wait in `unwritten` until `flush` writes every
 * commit of the turn in one transaction, each table with one statement however many rows it brings
 * (statements, not bytes, are what a commit costs: a run's 40 commits became 3 transactions).
 * Nothing leaves the object before its commit is written: events reach subscribers through
 * `afterWrite`, each outbox effect is performed after a flush (outbox.ts), a step's calls to ports
 * that do I/O write first (step-context.ts; the knowledge count, a read, does not), the object
 * flushes before it answers an RPC or ends an alarm (run-object.ts), and a read of the log writes
 * first. A change of the object's alarm is written with the commits waiting (`flushWithAlarm`): one
 * storage commit, not two. A flush that fails leaves memory ahead of storage: the store refuses
 * every later call and `lost` resets the object, which reloads from what was written.
 *
 * The newest written events are also kept (`recent`, up to RECENT_CHARS of event JSON): a run's SSE
 * subscribers replay the log just behind its head, and those reads (`eventsAfter`) then cost no
 * statement and no rows read. What reads the log to check, page or copy it (`rawEventsAfter`:
 * verify, JSON pages, export, fork and replay copies) reads storage.
 */
import { parseEvent } from "../engine/events";
import type { EventType, RunEvent } from "../engine/events";
import { EMPTY_HEAD, dueAt, effectKey, prepareAppend } from "../engine/journal";
import type { AppendedEvent, Commit, Effect, EffectOutcome, LogHead, OutboxItem, RunStore } from "../engine/journal";
import type { Clock } from "../engine/ports";
import { RunState } from "../engine/state";
import { Span } from "../engine/trace";
import { WorkflowState } from "../engine/workflow";
import { noRows, outboxRow, writeRows } from "./run-store-rows";
import type { Unwritten } from "./run-store-rows";

type Row = Record<string, SqlStorageValue>;

/** Unwritten event bytes after which a commit writes at once (a fork copying a long prefix in one turn). */
const MAX_UNWRITTEN_BYTES = 1 << 20;
/** Characters of event JSON kept in memory for reads near the head of the log. */
const RECENT_CHARS = 64 * 1024;

export interface SqliteRunStoreOptions {
  /** A write failed and memory is ahead of storage: the object must restart from storage. */
  lost?: (error: unknown) => void;
  /** Defers the end-of-turn flush (tests pass their own). */
  defer?: (flush: () => void) => void;
  /** Characters of event JSON kept in memory for reads near the head (RECENT_CHARS; tests pass less). */
  recentLimit?: number;
}

export class SqliteRunStore implements RunStore {
  private readonly sql: SqlStorage;
  private head: LogHead;
  private wf: WorkflowState | null;

  /** Whether the tables exist in storage (the first commit's flush creates them). */
  private onDisk: boolean;
  private unwritten: Unwritten | null = null;
  /** Set when a flush failed: memory is ahead of storage, and nothing more may be done. */
  private failure: unknown = null;
  /** Read on first use, then kept (in start order, as the table's rowid has them). */
  private spanCache: Map<string, Span> | null = null;
  private outboxCache: Map<string, OutboxItem> | null = null;
  private readonly metaCache = new Map<string, string | null>();
  /** The newest written events, contiguous up to the head of the log (none until this instance writes). */
  private recent: AppendedEvent[] = [];
  /** Characters of event JSON in `recent`. */
  private recentSize = 0;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly clock: Clock,
    private readonly options: SqliteRunStoreOptions = {},
  ) {
    this.sql = storage.sql;
    this.onDisk = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").toArray().length > 0;
    this.head = EMPTY_HEAD;
    this.wf = null;
    if (!this.onDisk) return;
    const last = this.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").toArray()[0];
    const state = this.kv("state");
    const workflow = this.kv("workflow");
    if (last !== undefined) {
      this.head = { seq: last.seq, hash: last.hash, state: state === null ? null : RunState.parse(JSON.parse(state)) };
    }
    this.wf = workflow === null ? null : WorkflowState.parse(JSON.parse(workflow));
  }

  /** A row as storage holds it (a row a commit wrote is kept in memory, so nothing waits unwritten here). */
  private kv(key: string): string | null {
    if (!this.onDisk) return null;
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
    let value = this.metaCache.get(key);
    if (value === undefined) {
      value = this.kv(`meta:${key}`);
      this.metaCache.set(key, value);
    }
    return value;
  }

  commit(commit: Commit): AppendedEvent[] {
    this.assertIntact();
    const runId = this.head.state?.run_id ?? commit.workflow?.run_id ?? this.wf?.run_id ?? commit.run_id;
    const events = commit.events ?? [];
    if (events.length > 0 && runId === undefined) throw new Error("cannot append events before the run exists");
    const prepared =
      events.length > 0 ? prepareAppend(this.head, runId ?? "", events, new Date(commit.at ?? this.clock.now()).toISOString()) : null;
    const outbox = (commit.outbox?.length ?? 0) + (commit.settled?.length ?? 0) > 0 ? this.outboxItems() : null;
    const rows = this.pending();
    for (const effect of commit.outbox ?? []) {
      const id = effectKey(effect);
      const item: OutboxItem = { id, version: (outbox?.get(id)?.version ?? 0) + 1, effect, attempts: 0, next_attempt_at: dueAt(effect, this.clock.now()) };
      // A newer effect under the same key replaces the older one, in its place (as its row keeps its rowid).
      outbox?.set(id, item);
      rows.outbox.set(id, outboxRow(item, null));
    }
    for (const key of commit.settled ?? []) {
      if (outbox?.delete(key)) rows.outbox.set(key, null);
    }
    if (prepared !== null) {
      for (const { seq, type, json, hash } of prepared.rows) {
        rows.events.push({ seq, type, json, hash });
        rows.eventBytes += json.length;
      }
      this.head = prepared.head;
      if (prepared.head.state !== null) rows.kv.set("state", prepared.head.state);
    }
    if (commit.workflow !== undefined) {
      this.wf = commit.workflow;
      rows.kv.set("workflow", commit.workflow);
    }
    for (const [key, value] of Object.entries(commit.meta ?? {})) {
      rows.kv.set(`meta:${key}`, value);
      this.metaCache.set(key, value);
    }
    for (const span of commit.spans ?? []) {
      rows.spans.set(span.span_id, span);
      this.spanCache?.set(span.span_id, span);
    }
    if (rows.eventBytes > MAX_UNWRITTEN_BYTES) this.flush();
    return prepared?.rows.map(({ seq, type, json }) => ({ seq, type, json })) ?? [];
  }

  /** Runs `fn` once everything committed so far is written (at once when nothing waits). */
  afterWrite(fn: () => void): void {
    if (this.unwritten === null) fn();
    else this.unwritten.written.push(fn);
  }

  /** Writes every commit not yet written, in one transaction, then runs what waited for them. */
  flush(): void {
    this.write(null);
  }

  /**
   * Changes the object's alarm (`change` calls setAlarm or deleteAlarm) in the transaction that
   * writes the commits still waiting, if any: one storage commit instead of two, since an alarm
   * change made on its own is a commit of its own. Resolves as `change`'s promise does; a change
   * that throws rejects it and leaves the commits written (it is not theirs to undo).
   */
  flushWithAlarm(change: () => Promise<void>): Promise<void> {
    if (this.unwritten === null) return change();
    return this.write(() => {
      try {
        return change();
      } catch (error) {
        return Promise.reject(error);
      }
    }) as Promise<void>;
  }

  /** What `alarmChange` returned, run last inside the transaction (null without one). */
  private write(alarmChange: (() => Promise<void>) | null): Promise<void> | null {
    this.assertIntact();
    const rows = this.unwritten;
    if (rows === null) return null;
    this.unwritten = null;
    let changed: Promise<void> | null;
    try {
      changed = this.storage.transactionSync(() => {
        writeRows(this.sql, rows, !this.onDisk);
        return alarmChange === null ? null : alarmChange();
      });
    } catch (error) {
      this.failure = error;
      this.options.lost?.(error);
      throw error;
    }
    this.onDisk = true;
    this.keepRecent(rows.events);
    for (const fn of rows.written) fn();
    return changed;
  }

  /** The rows of this turn's commits, a flush at the end of the turn scheduled with the first. */
  private pending(): Unwritten {
    if (this.unwritten === null) {
      this.unwritten = noRows();
      const flush = () => {
        try {
          this.flush();
        } catch {
          // Reported through `lost`; the next call on the store throws.
        }
      };
      (this.options.defer ?? ((fn) => setTimeout(fn, 0)))(flush);
    }
    return this.unwritten;
  }

  private assertIntact(): void {
    if (this.failure !== null) throw new Error(`the run's storage write failed: ${String(this.failure)}`);
  }

  /**
   * The outbox by id, in the order its rows were first written. Loaded once; no outbox row can wait
   * unwritten before then (each commit that writes one loads it first).
   */
  private outboxItems(): Map<string, OutboxItem> {
    if (this.outboxCache === null) {
      const rows = this.onDisk ? this.sql.exec<Row>("SELECT id, version, json, attempts, next_attempt_at FROM outbox ORDER BY rowid").toArray() : [];
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
      const rows = this.onDisk ? this.sql.exec<{ json: string }>("SELECT json FROM spans ORDER BY rowid").toArray() : [];
      this.spanCache = new Map(rows.map((row) => Span.parse(JSON.parse(row.json))).map((span) => [span.span_id, span]));
      // The spans of commits not yet written, over what storage holds.
      for (const span of this.unwritten?.spans.values() ?? []) this.spanCache.set(span.span_id, span);
    }
    return this.spanCache;
  }

  /** Keeps the newest written events, dropping the oldest beyond the limit (at least the last one stays). */
  private keepRecent(events: readonly AppendedEvent[]): void {
    for (const { seq, type, json } of events) {
      this.recent.push({ seq, type, json });
      this.recentSize += json.length;
    }
    let drop = 0;
    const limit = this.options.recentLimit ?? RECENT_CHARS;
    while (drop < this.recent.length - 1 && this.recentSize > limit) this.recentSize -= (this.recent[drop++] as AppendedEvent).json.length;
    if (drop > 0) this.recent = this.recent.slice(drop);
  }

  /** Events after `after` from memory, when they are all among the recent ones (seqs are contiguous). */
  private recentAfter(after: number, limit: number): AppendedEvent[] | null {
    const first = this.recent[0];
    if (first === undefined || after < first.seq - 1) return null;
    const start = after - first.seq + 1;
    return this.recent.slice(start, start + limit);
  }

  eventsAfter(after: number, limit: number): AppendedEvent[] {
    this.flush();
    if (!this.onDisk) return [];
    const recent = this.recentAfter(after, limit);
    if (recent !== null) return recent;
    return this.sql
      .exec<{ seq: number; type: string; json: string }>(
        "SELECT seq, type, json FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
        after,
        limit,
      )
      .toArray()
      .map((row) => ({ seq: row.seq, type: row.type as EventType, json: row.json }));
  }

  /** The stored JSON of events with `seq > after`, in order, read from storage (verify, pages, copies). */
  rawEventsAfter(after: number, limit: number): { json: string }[] {
    this.flush();
    if (!this.onDisk) return [];
    // Always from storage: what verifies the chain, exports or forks the log reads what is written.
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

  /** From memory: the outbox writes what is committed before it performs each (DESIGN.md rule 4). */
  pendingEffects(now?: number): OutboxItem[] {
    const items = [...this.outboxItems().values()].filter((item) => now === undefined || item.next_attempt_at <= now);
    // Oldest due first; among equals, in the order they were first written.
    return items.sort((a, b) => a.next_attempt_at - b.next_attempt_at).map((item) => ({ ...item }));
  }

  settleEffect(item: OutboxItem, outcome: EffectOutcome): void {
    this.assertIntact();
    const kept = this.outboxItems().get(item.id);
    // A newer version replaced it: settling the older one changes nothing.
    if (kept === undefined || kept.version !== item.version) return;
    if (outcome.done) {
      this.outboxItems().delete(item.id);
      this.pending().outbox.set(item.id, null);
    } else {
      const next = { ...kept, attempts: kept.attempts + 1, next_attempt_at: outcome.at };
      this.outboxItems().set(item.id, next);
      this.pending().outbox.set(item.id, outboxRow(next, outcome.error?.slice(0, 500) ?? null));
    }
  }
}
