/**
 * The run's journal as the runtime sees it: a synchronous, transactional store of the event log,
 * the RunState snapshot, the WorkflowState, the spans and the outbox of effects. The run object
 * implements it over Durable Object SQLite; `MemoryRunStore` is its in-memory twin for unit tests.
 * Both append through `prepareAppend`, so numbering, hashing and folding are written once.
 */
import { EVENT_DATA } from "../events";
import type { EventType, NewEvent, RunEvent } from "../events";
import { GENESIS_HASH, chainHash } from "../hash-chain";
import { applyEvent } from "../state";
import type { RunState } from "../state";
import type { ToolRequestMessage } from "../tools";
import type { Span } from "../trace";
import type { WorkflowState } from "../workflow";

export interface RunIndexRow {
  tenant_id: string;
  run_id: string;
  status: string;
  created_at: string;
  updated_at: string;
  message_preview: string;
}

export interface FeedbackRow {
  feedback_id: string;
  tenant_id: string;
  run_id: string;
  user_id: string;
  rating: "up" | "down";
  comment: string | null;
  created_at: string;
}

/**
 * Something outside the run's storage that must happen once the commit holding it is durable (the
 * outbox). `index.sync` carries no row: it writes the run's index entry from the state current
 * when it is performed, so a later sync supersedes an earlier one.
 */
export type Effect =
  | { kind: "tool.dispatch"; message: ToolRequestMessage }
  | { kind: "index.sync"; not_before?: number }
  | { kind: "feedback.insert"; row: FeedbackRow };

/** When an effect is first due: now, unless it says to wait (epoch milliseconds). */
export function dueAt(effect: Effect, now: number): number {
  return effect.kind === "index.sync" && effect.not_before !== undefined ? effect.not_before : now;
}

/** The outbox key of an effect: a newer index row replaces an older one not yet written. */
export function effectKey(effect: Effect): string {
  switch (effect.kind) {
    case "tool.dispatch":
      return `tool:${effect.message.request_id}`;
    case "index.sync":
      return "index";
    case "feedback.insert":
      return `feedback:${effect.row.feedback_id}`;
  }
}

export interface OutboxItem {
  id: string;
  /** Bumped when a newer effect replaces this one: settling an older version must not remove it. */
  version: number;
  effect: Effect;
  attempts: number;
  next_attempt_at: number;
}

export interface Commit {
  events?: NewEvent[];
  /** Small immutable facts about the run (such as the request fingerprint), by key. */
  meta?: Record<string, string>;
  workflow?: WorkflowState;
  spans?: Span[];
  effects?: Effect[];
}

/** A stored event as the SSE stream and JSON pages send it: `json` is the envelope, verbatim. */
export interface AppendedEvent {
  seq: number;
  type: EventType;
  json: string;
}

export interface RunStore {
  state(): RunState | null;
  workflow(): WorkflowState | null;
  meta(key: string): string | null;
  /** Appends the events and writes everything else in one transaction. Returns what was appended. */
  commit(commit: Commit): AppendedEvent[];
  /** Events with `seq > after`, at most `limit`, in order. */
  eventsAfter(after: number, limit: number): AppendedEvent[];
  spans(): Span[];
  span(spanId: string): Span | null;
  /** Outbox items due at `now` (all pending ones when `now` is omitted), oldest first. */
  pendingEffects(now?: number): OutboxItem[];
  /** Removes a performed effect, or schedules its retry; a no-op if a newer version replaced it. */
  settleEffect(item: OutboxItem, outcome: { ok: true } | { ok: false; retryAt: number; error: string }): void;
}

export interface LogHead {
  seq: number;
  hash: string;
  state: RunState | null;
}

export const EMPTY_HEAD: LogHead = { seq: 0, hash: GENESIS_HASH, state: null };

export interface PreparedEvent extends AppendedEvent {
  hash: string;
}

/**
 * Numbers, timestamps, validates, hashes and folds new events onto the head of the log. Pure: the
 * caller writes the rows and the new head in one transaction, or writes nothing.
 */
export function prepareAppend(
  head: LogHead,
  runId: string,
  events: readonly NewEvent[],
  nowIso: string,
): { rows: PreparedEvent[]; head: LogHead } {
  let { seq, hash, state } = head;
  const rows: PreparedEvent[] = [];
  for (const event of events) {
    seq += 1;
    const data = EVENT_DATA[event.type].parse(event.data);
    const envelope: Record<string, unknown> = { run_id: runId, seq, ts: nowIso, type: event.type, data };
    if (event.span_id !== undefined) envelope.span_id = event.span_id;
    hash = chainHash(hash, envelope);
    envelope.hash = hash;
    const json = JSON.stringify(envelope);
    state = applyEvent(state, envelope as unknown as RunEvent);
    rows.push({ seq, type: event.type, json, hash });
  }
  return { rows, head: { seq, hash, state } };
}
