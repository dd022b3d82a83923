/**
 * A thread's turns and the pure rules that order them (DESIGN.md "ThreadObject"): who is admitted
 * when a message arrives under each `multitask` policy, and what the thread must do next so that
 * runs start one at a time, in turn order, each only once the runs before it have ended. The
 * ThreadObject keeps the turns in SQLite, asks these functions, performs what they say (an RPC to a
 * run) and records the outcome; a crash anywhere leaves a row that says what is still owed.
 */
import { z } from "zod";
import { RunStatus, TERMINAL_STATUSES } from "../lifecycle";
import type { Multitask } from "./shapes";

/**
 * Where a turn stands. `queued`: waiting for the turns before it. `starting`: chosen to run next;
 * the start command may or may not have reached its run (a repeated start is harmless: the run
 * dedupes on its request fingerprint). `running`: its run has started. `ended`: its run has ended.
 */
export const TurnPhase = z.enum(["queued", "starting", "running", "ended"]);
export type TurnPhase = z.infer<typeof TurnPhase>;

export const TurnCancel = z.object({ by_user_id: z.string(), reason: z.string() });
export type TurnCancel = z.infer<typeof TurnCancel>;

export const Turn = z.object({
  turn: z.number().int().positive(),
  run_id: z.string(),
  phase: TurnPhase,
  /** The final status once `ended`. */
  ended_status: z.enum(TERMINAL_STATUSES).nullable(),
  fingerprint: z.string(),
  message: z.string(),
  /** The final answer once ended (empty for a run that failed or was cancelled). */
  output: z.string().nullable(),
  /** An interrupt asked for this turn's run to be cancelled. */
  cancel: TurnCancel.nullable(),
  /** The run object holds the queued run (its `/state` says `queued`). */
  enqueued: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Turn = z.infer<typeof Turn>;

/** A turn's status as clients see it (`GET /threads/{id}`, the 201 of a new message). */
export function turnStatus(turn: Pick<Turn, "phase" | "ended_status">): RunStatus {
  switch (turn.phase) {
    case "queued":
    case "starting":
      return "queued";
    case "running":
      return "running";
    case "ended":
      return turn.ended_status ?? "completed";
  }
}

export interface PostRequest {
  run_id: string;
  fingerprint: string;
  multitask: Multitask;
  user_id: string;
  message: string;
}

export type PostDecision =
  /** A retried request (same Idempotency-Key, same body): answered as before, nothing new. */
  | { outcome: "existing"; turn: Turn }
  /** The Idempotency-Key names a run made from another body. */
  | { outcome: "conflict" }
  /** `multitask: "reject"` on a busy thread: nothing is created. */
  | { outcome: "busy" }
  /** A new turn, queued; `cancel` lists the open turns an interrupt cancels before it starts. */
  | { outcome: "admitted"; turn: Turn; cancel: number[] };

/**
 * Admission of a new message. Pure, and decided in one synchronous step of the thread object, so
 * two racing messages are ordered by the object: each sees the other's turn or none of it.
 *
 * @param existing the turn whose run id is the request's, if any (an idempotent retry)
 * @param open the turns not yet ended, in turn order
 */
export function decidePost(existing: Turn | null, open: readonly Turn[], lastTurn: number, request: PostRequest, nowIso: string): PostDecision {
  if (existing !== null) return existing.fingerprint === request.fingerprint ? { outcome: "existing", turn: existing } : { outcome: "conflict" };
  if (open.length > 0 && request.multitask === "reject") return { outcome: "busy" };
  const turn: Turn = {
    turn: lastTurn + 1,
    run_id: request.run_id,
    phase: "queued",
    ended_status: null,
    fingerprint: request.fingerprint,
    message: request.message,
    output: null,
    cancel: null,
    enqueued: false,
    created_at: nowIso,
    updated_at: nowIso,
  };
  const cancel = request.multitask === "interrupt" ? open.map((t) => t.turn) : [];
  return { outcome: "admitted", turn, cancel };
}

export type ThreadAction =
  /** Cancel this turn's run (an interrupt asked for it). */
  | { kind: "cancel"; turn: Turn }
  /** Start this turn's run: it is first in line and nothing runs. */
  | { kind: "start"; turn: Turn }
  /** This turn's run is under way: wait for its end (the watchdog polls it now and then). */
  | { kind: "watch"; turn: Turn }
  /** Nothing is open. */
  | { kind: "idle" };

/**
 * What the thread must do next, given its open turns in turn order. Cancels come first (an
 * interrupt's new turn waits for them); then the first open turn is started, or watched while it
 * runs. Only the first open turn ever starts: that is what keeps one run at a time, in order.
 */
export function nextAction(open: readonly Turn[]): ThreadAction {
  const cancel = open.find((t) => t.cancel !== null);
  if (cancel !== undefined) return { kind: "cancel", turn: cancel };
  const first = open[0];
  if (first === undefined) return { kind: "idle" };
  return first.phase === "running" ? { kind: "watch", turn: first } : { kind: "start", turn: first };
}

/** Queued turns whose run object does not hold them yet (a crash came between the two writes). */
export function unconfirmed(open: readonly Turn[]): Turn[] {
  return open.filter((t) => t.phase === "queued" && !t.enqueued && t.cancel === null);
}
