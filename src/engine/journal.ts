/**
 * The run's journal: a synchronous, transactional store of the event log, the RunState snapshot,
 * the WorkflowState, the spans and the outbox of effects, and the `Commit` that writes to it. The
 * run object implements it over Durable Object SQLite; the tests' twin keeps it in memory. Both
 * append through `prepareAppend`, so numbering, hashing and folding are written once.
 */
import { EVENT_DATA } from "./events";
import type { EventType, NewEvent, Rating, RunEvent } from "./events";
import { GENESIS_HASH, chainHash } from "./hash-chain";
import { applyEvent } from "./reducer";
import type { RunState } from "./state";
import type { ToolRequestMessage } from "./tool-protocol";
import type { Span } from "./trace";
import type { WorkflowState } from "./workflow";

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
  rating: Rating;
  comment: string | null;
  created_at: string;
}

/**
 * Something outside the run's storage that must happen once the commit holding it is durable (the
 * outbox). `index.sync` carries no row: it writes the run's index entry from the state current
 * when it is performed, so a later sync supersedes an earlier one. A `tool.dispatch` stays in the
 * outbox after it is sent: the run owns the request until its outcome arrives, and re-sends it on
 * a schedule meanwhile (runtime/outbox.ts), so a message lost on the way is not an effect lost.
 * `thread.notify`, like `index.sync`, carries nothing: it tells the run's thread that the run ended,
 * with the final status and output read when it is performed (threads/shapes.ts RunEndedNotice).
 */
export type Effect =
  | { kind: "tool.dispatch"; message: ToolRequestMessage }
  | { kind: "index.sync"; not_before?: number }
  | { kind: "feedback.insert"; row: FeedbackRow }
  /** The run ended: whoever counts the run (its tenant's admission, its thread) is told, from the state when performed. */
  | { kind: "run.ended" };

/** When an effect is first due: now, unless it says to wait (epoch milliseconds). */
export function dueAt(effect: Effect, now: number): number {
  return effect.kind === "index.sync" && effect.not_before !== undefined ? effect.not_before : now;
}

/** The outbox key of a tool request's dispatch: its outcome's commit settles it by this key. */
export function dispatchKey(requestId: string): string {
  return `tool:${requestId}`;
}

/** The outbox key of an effect: a newer index row replaces an older one not yet written. */
export function effectKey(effect: Effect): string {
  switch (effect.kind) {
    case "tool.dispatch":
      return dispatchKey(effect.message.request_id);
    case "index.sync":
      return "index";
    case "feedback.insert":
      return `feedback:${effect.row.feedback_id}`;
    case "run.ended":
      return "ended";
  }
}

export type EffectOutcome = { done: true } | { done: false; at: number; error?: string };

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
  /**
   * The time its events carry (epoch ms): the time the decision that made them was taken, so that
   * every time an event's data holds (a deadline, a duration) is computed from event timestamps,
   * and a replay on the recorded clock recomputes it exactly. Default: when it is written.
   */
  at?: number;
  /** The run's id, for a first commit that brings no WorkflowState (a log copied from another run). */
  run_id?: string;
  /** Small immutable facts about the run (such as the request fingerprint), by key. */
  meta?: Record<string, string>;
  workflow?: WorkflowState;
  spans?: Span[];
  /** Effects to perform once this commit is durable. */
  outbox?: Effect[];
  /** Outbox keys whose work is over (a tool request's outcome arrived): removed in the same transaction. */
  settled?: string[];
}

/** A stored event as the SSE stream and JSON pages send it: `json` is the envelope, verbatim. */
export interface AppendedEvent {
  seq: number;
  type: EventType;
  json: string;
}

export interface RunStore {
  state(): RunState | null;
  /** The seq of the last event (0 before the first). */
  lastSeq(): number;
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
  /**
   * After an attempt to perform `item`: `done` removes it; `again` keeps it for another attempt at
   * `at` (a failure to retry, or a dispatch to re-send). A no-op if a newer version replaced it.
   */
  settleEffect(item: OutboxItem, outcome: EffectOutcome): void;
  /**
   * Writes what is committed so far, for a store that writes at the end of the turn (group commit):
   * before anything built from the run's state leaves, such as an effect or a staged log's removal.
   */
  flush?(): void;
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
    const envelope: Record<string, unknown> = { run_id: runId, seq, ts: event.ts ?? nowIso, type: event.type, data };
    if (event.span_id !== undefined) envelope.span_id = event.span_id;
    hash = chainHash(hash, envelope);
    envelope.hash = hash;
    const json = JSON.stringify(envelope);
    state = applyEvent(state, envelope as unknown as RunEvent);
    rows.push({ seq, type: event.type, json, hash });
  }
  return { rows, head: { seq, hash, state } };
}
