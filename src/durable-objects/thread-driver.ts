/**
 * Doing what a thread's turns say is owed (engine/threads/turns.ts `nextAction`): cancel what an
 * interrupt asked for, start the first open turn with the history it sees, poll a running run when
 * the watchdog asks, hand queued turns to their run objects. Every step is an idempotent RPC to a
 * run object followed by a record of its outcome in the thread's SQLite, so a crash anywhere is
 * repaired by doing the owed step again: a repeated start or enqueue is deduplicated by the run's
 * request fingerprint, a repeated cancel of an ended run is a harmless conflict.
 *
 * One alarm serves it all: armed soon before work this instance is about to do (so that a crash
 * costs a short wait), otherwise for the watchdog of a running run or the retry of a failed step.
 */
import type { ApiSettings } from "../adapters/api-settings";
import type { Logger } from "../engine/ports";
import { hasEnded } from "../engine/lifecycle";
import type { TerminalStatus } from "../engine/lifecycle";
import { RunState } from "../engine/state";
import { selectHistory } from "../engine/threads/history";
import { INTERRUPTED } from "../engine/threads/shapes";
import { nextAction, unconfirmed } from "../engine/threads/turns";
import type { Turn } from "../engine/threads/turns";
import type { FaultProbe } from "./fault-probe";
import type { RunObject } from "./run-object";
import { ThreadRunRequest } from "./thread-rpc";
import type { ThreadStore } from "./thread-store";

/** Between retries of a failed step (a run object being reset): doubled per failure, up to 30 s. */
export const RETRY_BASE_MS = 500;
const MAX_STEPS_PER_ADVANCE = 100;

const RunOutcome = RunState.pick({ status: true, output: true, refused: true }).nullable();

export interface ThreadDriverDeps {
  store: ThreadStore;
  /** The run object of one of this thread's runs. */
  run(runId: string): DurableObjectStub<RunObject>;
  alarm: { set(at: number): Promise<void>; clear(): Promise<void> };
  faults: FaultProbe;
  logger: Logger;
  settings: ApiSettings["threads"];
  /** The thread changed: wake its streams, write its index row. */
  changed(): void;
  /** Runs after each advance, before the alarm is re-armed (the index row). */
  afterAdvance(): Promise<void>;
  /** True while something else is owed that the alarm must cover (an index row not yet written). */
  otherWorkOwed(): boolean;
}

export interface TurnEnd {
  recorded: boolean;
  /** The alarm covering the next turn's start, if one is owed. */
  armed: Promise<void>;
  /** A test's crash point, when one is armed. */
  probe: Promise<void> | undefined;
}

export class ThreadDriver {
  private advancing: Promise<void> | null = null;
  private again = false;
  private recoverAgain = false;
  private failures = 0;
  /** When `armSoon` last set the alarm for (cleared when `rearm` sets it for something else). */
  private armedSoonAt: number | null = null;

  constructor(private readonly deps: ThreadDriverDeps) {}

  get busy(): boolean {
    return this.advancing !== null;
  }

  private now(): string {
    return new Date().toISOString();
  }

  /**
   * Does what the turns say is owed, until nothing is (one advance at a time; a call that arrives
   * meanwhile makes it look again). `recover`: also poll a running run (the watchdog) and hand
   * queued turns to run objects that do not hold them yet (after a crash). It runs synchronously up
   * to its first RPC, so that a caller's write and the next start's `starting` mark share a flush.
   */
  advance(recover = false): Promise<void> {
    if (this.advancing !== null) {
      this.again = true;
      this.recoverAgain ||= recover;
      return this.advancing;
    }
    this.advancing = (async () => {
      try {
        let pass = recover;
        do {
          this.again = false;
          this.recoverAgain = false;
          await this.advanceOnce(pass);
          pass = this.recoverAgain;
        } while (this.again);
      } finally {
        this.advancing = null;
      }
      await this.deps.afterAdvance();
      await this.rearm();
    })();
    return this.advancing;
  }

  private async advanceOnce(recover: boolean): Promise<void> {
    const { store } = this.deps;
    try {
      if (recover) for (const turn of unconfirmed(store.openTurns().slice(1))) await this.enqueue(turn);
      let poll = recover;
      for (let step = 0; step < MAX_STEPS_PER_ADVANCE; step++) {
        const action = nextAction(store.openTurns());
        if (action.kind === "idle") break;
        if (action.kind === "watch") {
          if (!poll) break;
          poll = false;
          if (!(await this.poll(action.turn))) break;
          continue;
        }
        if (action.kind === "cancel") await this.cancel(action.turn);
        else await this.start(action.turn);
      }
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      this.deps.logger.log("warn", "thread could not advance; will retry", {
        error: error instanceof Error ? error.message : String(error),
        failures: this.failures,
      });
    }
  }

  /** Starts a turn's run with the history it sees. Idempotent: the run dedupes on the request's fingerprint. */
  private async start(turn: Turn): Promise<void> {
    const { store } = this.deps;
    if (turn.phase === "queued") {
      store.advancePhase(turn.turn, "queued", "starting", this.now());
      const armed = this.armSoon();
      await this.deps.faults.hit({ at: "thread.turn.starting", turn: turn.turn });
      await armed;
    }
    const info = store.info();
    if (info === null) return;
    const history = selectHistory(store.completedNewestFirst(turn.turn), store.completedBefore(turn.turn), this.deps.settings.historyTokens);
    const request = ThreadRunRequest.parse(store.request(turn.turn));
    const reply = await this.deps.run(turn.run_id).start({ ...request, thread: { thread_id: info.thread_id, turn: turn.turn }, history });
    if (reply.outcome === "conflict") {
      // Another request holds this run id: a bug, not a race. End the turn rather than wedge the thread.
      this.deps.logger.log("error", "a turn's run id holds another request", { run_id: turn.run_id, turn: turn.turn });
      await settled(this.endTurn(turn, "failed", "", false));
      return;
    }
    if (hasEnded(reply.status)) {
      // It ended before this start (cancelled while queued): record its end.
      await this.poll(turn);
      return;
    }
    if (store.advancePhase(turn.turn, "starting", "running", this.now())) this.deps.changed();
  }

  /** Cancels a turn's run for an interrupt, then records its end. */
  private async cancel(turn: Turn): Promise<void> {
    const cancel = turn.cancel ?? { by_user_id: "system", reason: INTERRUPTED };
    const by = { user_id: cancel.by_user_id, reason: cancel.reason };
    const stub = this.deps.run(turn.run_id);
    let reply = await stub.cancel(by);
    if (reply.outcome === "not_found") {
      // A queued run its run object does not hold yet: hand it over first, so that its log records the cancel.
      await this.enqueue(turn);
      reply = await stub.cancel(by);
    }
    if (!(await this.poll(turn))) throw new Error(`the run of turn ${turn.turn} did not end when cancelled (${reply.outcome})`);
  }

  /** Reads a turn's run; if it has ended, records the end. True if it has. */
  private async poll(turn: Turn): Promise<boolean> {
    const state = RunOutcome.parse(await this.deps.run(turn.run_id).getState());
    if (state === null || !hasEnded(state.status)) return false;
    await settled(this.endTurn(turn, state.status, state.output, state.refused));
    return true;
  }

  /**
   * Records a turn's end at once (synchronously, so that a caller can start the next turn in the
   * same flush of storage), and arms the alarm for the next start if one is owed.
   */
  endTurn(turn: Turn, status: TerminalStatus, output: string, refused: boolean): TurnEnd {
    const { store } = this.deps;
    const recorded = store.endTurn(turn.turn, status, status === "completed" ? output : "", refused, this.now());
    if (!recorded) return { recorded, armed: Promise.resolve(), probe: undefined };
    this.deps.changed();
    // The next turn's start is owed from now: if this instance dies before it is sent, the alarm sends it.
    const armed = store.openTurns().length > 0 ? this.armSoon() : Promise.resolve();
    const probe = this.deps.faults.hit({ at: "thread.turn.ended", turn: turn.turn }) ?? undefined;
    return { recorded, armed, probe };
  }

  /** Hands a queued turn to its run object, so that its `/state` says `queued`. */
  async enqueue(turn: Turn) {
    const { store } = this.deps;
    const info = store.info();
    if (info === null) throw new Error("no thread");
    const request = ThreadRunRequest.parse(store.request(turn.turn));
    const reply = await this.deps.run(turn.run_id).enqueue({ ...request, thread: { thread_id: info.thread_id, turn: turn.turn } });
    if (reply.outcome !== "conflict") store.markEnqueued(turn.turn);
    this.deps.changed();
    return reply;
  }

  /**
   * Work is owed that this instance is about to do (a start, after an end): the alarm is armed for
   * it first, so that a crash before it is done costs a short wait, not the watchdog's.
   */
  private async armSoon(): Promise<void> {
    const now = Date.now();
    // One armed by this instance a moment ago still covers it (an end, then the next start).
    if (this.armedSoonAt !== null && this.armedSoonAt > now) return;
    this.armedSoonAt = now + RETRY_BASE_MS;
    await this.deps.alarm.set(this.armedSoonAt);
  }

  /** One alarm for the earliest thing owed: a retry, the watchdog of a running run, other work. */
  async rearm(): Promise<void> {
    const now = Date.now();
    const retry = now + Math.min(30_000, RETRY_BASE_MS * 2 ** Math.min(6, this.failures));
    const due: number[] = [];
    const open = this.deps.store.openTurns();
    const action = nextAction(open);
    if (action.kind === "watch") due.push(now + this.deps.settings.watchdogMs);
    else if (action.kind !== "idle") due.push(retry);
    if (unconfirmed(open.slice(1)).length > 0 || this.deps.otherWorkOwed()) due.push(retry);
    this.armedSoonAt = null;
    if (due.length === 0) await this.deps.alarm.clear();
    else await this.deps.alarm.set(Math.max(now + 1, Math.min(...due)));
  }
}

/** Waits for a turn end's alarm and probe. */
async function settled(end: TurnEnd): Promise<boolean> {
  await Promise.all([end.armed, end.probe]);
  return end.recorded;
}
