/**
 * ThreadObject: one Durable Object per conversation (DESIGN.md). It owns the thread's ordered turns
 * and the queue of messages waiting for the run before them, applies the `multitask` policy to a
 * message that overlaps a running one, starts each queued run when the one before it ends, hands
 * each run its history, and serves the thread's event stream by walking its runs' own logs.
 *
 * It is a thin shell around pure rules (engine/threads/turns.ts): SQLite says what is owed (a turn
 * `starting` whose start may not have arrived, a cancel an interrupt asked for), `advance()` does it
 * with idempotent RPCs to the run objects and records each outcome. A run tells its thread that it
 * ended through its outbox (at least once); the thread's alarm is the watchdog that polls a running
 * run in case that notice is late, and retries whatever failed. A fresh instance (after a crash or
 * an eviction) advances at once. So a message is never lost, never run twice, and runs keep their order.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { apiSettings } from "../adapters/api-settings";
import type { ApiSettings } from "../adapters/api-settings";
import { upsertThread } from "../adapters/d1-thread-index";
import { JsonLogger } from "../adapters/json-logger";
import { StartInput } from "../engine/commands/start";
import { runObjectName } from "../engine/ids";
import { RunState } from "../engine/state";
import { hasEnded } from "../engine/lifecycle";
import type { TerminalStatus } from "../engine/lifecycle";
import { messagePreview } from "../engine/run-index";
import type { ThreadCursor } from "../engine/threads/cursor";
import { selectHistory } from "../engine/threads/history";
import { INTERRUPTED, Multitask, RunEndedNotice, threadTitle } from "../engine/threads/shapes";
import type { ThreadView } from "../engine/threads/shapes";
import { decidePost, nextAction, turnStatus, unconfirmed } from "../engine/threads/turns";
import type { Turn } from "../engine/threads/turns";
import { FaultProbe } from "./fault-probe";
import { ThreadStore } from "./thread-store";
import { ThreadStreams } from "./thread-stream";

/** The request of a new message: the run's start input without its place in the thread, and the policy. */
export const ThreadRunRequest = StartInput.omit({ thread: true, history: true });
export type ThreadRunRequest = z.infer<typeof ThreadRunRequest>;

export const PostInput = z.object({ request: ThreadRunRequest, multitask: Multitask, thread_id: z.string() });
export type PostInput = z.input<typeof PostInput>;

export type PostReply =
  | { outcome: "created" | "existing"; run_id: string; turn: number; status: string }
  | { outcome: "not_found" }
  | { outcome: "busy" }
  | { outcome: "conflict" };

export const CreateInput = z.object({
  thread_id: z.string(),
  tenant_id: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});

const StreamInput = z.object({
  after: z.object({ turn: z.number().int().min(0), seq: z.number().int().min(0) }),
  follow: z.boolean(),
});
/** A run's JSON page as its object returns it (parsed: RPC results are a trust boundary too). */
const RunPage = z.object({ events: z.array(z.unknown()), next_after: z.number().int(), done: z.boolean() }).nullable();
const RunOutcome = z.object({ status: RunState.shape.status, output: z.string() }).nullable();

const PageInput = z.object({
  after: z.object({ turn: z.number().int().min(0), seq: z.number().int().min(0) }),
  limit: z.number().int().min(1).max(1000),
});

export interface ThreadEventsPage {
  events: unknown[];
  next_after: string;
  /** The page reaches the end of the thread's log and nothing in the thread is running or queued. */
  done: boolean;
}

/** Between retries of an RPC that failed (a run object being reset): doubled per failure, up to 30 s. */
const RETRY_BASE_MS = 500;
const MAX_STEPS_PER_ADVANCE = 100;

export class ThreadObject extends DurableObject<Env> {
  private readonly store: ThreadStore;
  private readonly streams: ThreadStreams;
  private readonly settings: ApiSettings;
  private readonly logger: JsonLogger;
  /** Crash points armed by tests; see fault-probe.ts. */
  readonly faults: FaultProbe;
  private advancing: Promise<void> | null = null;
  private again = false;
  private recoverAgain = false;
  private failures = 0;
  /** When `armSoon` last set the alarm for (cleared when `rearm` sets it for something else). */
  private armedSoonAt: number | null = null;
  private indexing: Promise<void> | null = null;
  private indexAgain = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.settings = apiSettings(env);
    this.store = new ThreadStore(ctx.storage);
    this.logger = new JsonLogger(this.settings.logLevel, () => ({ thread_id: this.store.info()?.thread_id, tenant_id: this.store.info()?.tenant_id }));
    this.faults = new FaultProbe(
      () => ctx.storage.sync(),
      (reason) => ctx.abort(reason),
    );
    this.streams = new ThreadStreams(
      {
        turn: (n) => {
          const turn = this.store.turn(n);
          if (turn === null) return null;
          return { run_id: turn.run_id, readable: turn.enqueued || turn.phase === "running" || turn.phase === "ended", ended: turn.phase === "ended" };
        },
        runStream: (runId, after, follow) => this.run(runId).subscribe({ after, follow }),
      },
      this.settings.sse,
    );
    if (this.store.openTurns().length > 0 || this.indexOwed()) {
      // A fresh instance with work owed: its previous instance may have died mid-way (a turn marked
      // starting, a cancel not sent, an end not acted on). Do it now rather than at the next alarm.
      ctx.waitUntil(Promise.resolve().then(() => this.advance(true)));
    }
  }

  private run(runId: string) {
    const tenant = this.store.info()?.tenant_id ?? "";
    return this.env.RUN_OBJECT.getByName(runObjectName(tenant, runId));
  }

  private now(): string {
    return new Date().toISOString();
  }

  override async alarm(): Promise<void> {
    await this.advance(true);
  }

  // -------------------------------------------------------------------------------------------
  // RPCs from the api worker

  create(input: z.input<typeof CreateInput>): ThreadView {
    const { thread_id, tenant_id, metadata } = CreateInput.parse(input);
    this.store.create({ thread_id, tenant_id, metadata, created_at: this.now() });
    this.ctx.waitUntil(this.syncIndex());
    return this.view() as ThreadView;
  }

  describe(): ThreadView | null {
    return this.view();
  }

  private view(): ThreadView | null {
    const info = this.store.info();
    if (info === null) return null;
    const runs = this.store.summaries();
    return {
      thread_id: info.thread_id,
      tenant_id: info.tenant_id,
      status: runs.some((r) => r.phase !== "ended") ? "busy" : "idle",
      title: threadTitle(this.store.firstMessage()),
      runs: runs.map((r) => ({ run_id: r.run_id, turn: r.turn, status: turnStatus(r), message_preview: messagePreview(r.message_start) })),
      metadata: info.metadata,
      created_at: info.created_at,
      updated_at: info.updated_at,
    };
  }

  /**
   * A new message. Admission is decided and recorded in one synchronous step, so racing messages
   * are ordered here. Then: the first in line is started, one behind others is handed to its run
   * object as queued (so that its `/state` says `queued` before this answers), and an interrupt
   * cancels the open turns before its own starts.
   */
  async post(raw: PostInput): Promise<PostReply> {
    const input = PostInput.parse(raw);
    const info = this.store.info();
    if (info === null || info.thread_id !== input.thread_id || info.tenant_id !== input.request.tenant_id) return { outcome: "not_found" };
    const { request } = input;
    const now = this.now();
    const decision = decidePost(
      this.store.turnByRun(request.run_id),
      this.store.openTurns(),
      this.store.lastTurn(),
      { run_id: request.run_id, fingerprint: request.fingerprint, multitask: input.multitask, user_id: request.user_id, message: request.message },
      now,
    );
    switch (decision.outcome) {
      case "conflict":
      case "busy":
        return { outcome: decision.outcome };
      case "existing":
        return { outcome: "existing", run_id: decision.turn.run_id, turn: decision.turn.turn, status: turnStatus(decision.turn) };
      case "admitted":
        break;
    }
    const { turn } = decision;
    this.store.admit(turn, request, { turns: decision.cancel, by: { by_user_id: request.user_id, reason: INTERRUPTED } }, now);
    this.changed();
    const first = this.store.openTurns()[0]?.turn === turn.turn;
    let status = "queued";
    if (first || decision.cancel.length > 0) {
      await this.advance();
    } else {
      const reply = await this.enqueue(turn).catch((error: unknown) => {
        // The turn is recorded; the alarm hands it to its run object later.
        this.logger.log("warn", "queued run not yet handed to its run object", { run_id: turn.run_id, error: String(error) });
        return null;
      });
      if (reply !== null && reply.outcome !== "conflict") status = reply.status;
      // An advance under way re-arms when it is done; otherwise the alarm must cover this turn now.
      if (this.advancing === null) await this.rearm();
    }
    // What it is by now: started (it was first in line), or still queued.
    const current = this.store.turn(turn.turn);
    if (current !== null && current.phase !== "queued") status = turnStatus(current);
    return { outcome: "created", run_id: turn.run_id, turn: turn.turn, status };
  }

  /** A run of this thread ended (its outbox's notice, at least once). */
  async runEnded(raw: unknown): Promise<{ recorded: boolean }> {
    const notice = RunEndedNotice.parse(raw);
    const info = this.store.info();
    const turn = this.store.turn(notice.turn);
    if (info === null || info.thread_id !== notice.thread_id || info.tenant_id !== notice.tenant_id || turn === null || turn.run_id !== notice.run_id) {
      this.logger.log("warn", "end notice for a run this thread does not hold", { run_id: notice.run_id, turn: notice.turn });
      return { recorded: false };
    }
    const ended = this.endTurn(turn, notice.status, notice.output);
    if (ended.probe !== undefined) await ended.probe;
    // The next queued run starts now, in this same turn of the event loop: its `starting` mark joins
    // the end's write, so one flush of storage lets both the start and this answer go out. The
    // notice's sender need not wait for the start itself.
    this.ctx.waitUntil(this.advance());
    await ended.armed;
    return { recorded: ended.recorded };
  }

  /** The thread's SSE stream after `after`; `past_end` for a cursor in a turn that does not exist. */
  subscribe(raw: z.input<typeof StreamInput>): Response | "not_found" | "past_end" {
    const { after, follow } = StreamInput.parse(raw);
    if (this.store.info() === null) return "not_found";
    if (after.turn > this.store.lastTurn()) return "past_end";
    return this.streams.subscribe(after, follow);
  }

  /** The same events as a JSON page: up to `limit` after `after`, across turns, in order. */
  async eventsPage(raw: z.input<typeof PageInput>): Promise<ThreadEventsPage | "not_found" | "past_end"> {
    const { after, limit } = PageInput.parse(raw);
    if (this.store.info() === null) return "not_found";
    if (after.turn > this.store.lastTurn()) return "past_end";
    const events: unknown[] = [];
    let position: ThreadCursor = { turn: Math.max(1, after.turn), seq: after.turn === 0 ? 0 : after.seq };
    let last: ThreadCursor = after;
    let done = false;
    while (events.length < limit) {
      const turn = this.store.turn(position.turn);
      if (turn === null) {
        // Past the last turn: the end of the thread's log, for now.
        done = this.store.openTurns().length === 0;
        break;
      }
      const want = limit - events.length;
      const readable = turn.enqueued || turn.phase === "running" || turn.phase === "ended";
      const page = readable ? RunPage.parse(await this.run(turn.run_id).eventsPage({ after: position.seq, limit: want })) : null;
      if (page !== null && page.events.length > 0) {
        events.push(...page.events);
        position = { turn: position.turn, seq: page.next_after };
        last = position;
      }
      if (page !== null && page.events.length === want) continue;
      // This run has nothing more now: the thread's log goes on past it only once it has ended.
      if (turn.phase !== "ended") break;
      position = { turn: position.turn + 1, seq: 0 };
    }
    return { events, next_after: `${last.turn}.${last.seq}`, done };
  }

  // -------------------------------------------------------------------------------------------
  // Doing what is owed

  /**
   * Does what the turns say is owed, until nothing is (one advance at a time; a call that arrives
   * meanwhile makes it look again). `recover`: also poll a running run (the watchdog) and hand
   * queued turns to run objects that do not hold them yet (after a crash).
   */
  private advance(recover = false): Promise<void> {
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
      await this.syncIndex();
      await this.rearm();
    })();
    return this.advancing;
  }

  private async advanceOnce(recover: boolean): Promise<void> {
    try {
      if (recover) for (const turn of unconfirmed(this.store.openTurns().slice(1))) await this.enqueue(turn);
      let poll = recover;
      for (let step = 0; step < MAX_STEPS_PER_ADVANCE; step++) {
        const action = nextAction(this.store.openTurns());
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
      this.logger.log("warn", "thread could not advance; will retry", { error: error instanceof Error ? error.message : String(error), failures: this.failures });
    }
  }

  /** Starts a turn's run with the history it sees. Idempotent: the run dedupes on the request's fingerprint. */
  private async start(turn: Turn): Promise<void> {
    if (turn.phase === "queued") {
      this.store.advancePhase(turn.turn, "queued", "starting", this.now());
      const armed = this.armSoon();
      await this.faults.hit({ at: "thread.turn.starting", turn: turn.turn });
      await armed;
    }
    const info = this.store.info();
    if (info === null) return;
    const history = selectHistory(this.store.completedNewestFirst(turn.turn), this.store.completedBefore(turn.turn), this.settings.threads.historyTokens);
    const request = ThreadRunRequest.parse(this.store.request(turn.turn));
    const reply = await this.run(turn.run_id).start({ ...request, thread: { thread_id: info.thread_id, turn: turn.turn }, history });
    if (reply.outcome === "conflict") {
      // Another request holds this run id: a bug, not a race. End the turn rather than wedge the thread.
      this.logger.log("error", "a turn's run id holds another request", { run_id: turn.run_id, turn: turn.turn });
      await this.endTurn(turn, "failed", "").settled;
      return;
    }
    if (hasEnded(reply.status)) {
      // It ended before this start (cancelled while queued): record its end.
      await this.poll(turn);
      return;
    }
    if (this.store.advancePhase(turn.turn, "starting", "running", this.now())) this.changed();
  }

  /** Cancels a turn's run for an interrupt, then records its end. */
  private async cancel(turn: Turn): Promise<void> {
    const cancel = turn.cancel ?? { by_user_id: "system", reason: INTERRUPTED };
    const by = { user_id: cancel.by_user_id, reason: cancel.reason };
    const stub = this.run(turn.run_id);
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
    const state = RunOutcome.parse(await this.run(turn.run_id).getState());
    if (state === null || !hasEnded(state.status)) return false;
    await this.endTurn(turn, state.status, state.output).settled;
    return true;
  }

  /**
   * Records a turn's end, at once (synchronously, so that a caller can start the next turn in the
   * same write). `armed`: the alarm that covers the next turn's start, if one is owed; `probe`: a
   * test's crash point, when one is armed; `settled`: both.
   */
  private endTurn(turn: Turn, status: TerminalStatus, output: string) {
    const recorded = this.store.endTurn(turn.turn, status, status === "completed" ? output : "", this.now());
    let armed: Promise<void> = Promise.resolve();
    let probe: Promise<void> | undefined;
    if (recorded) {
      this.changed();
      // The next turn's start is owed from now: if this instance dies before it is sent, the alarm sends it.
      if (this.store.openTurns().length > 0) armed = this.armSoon();
      probe = this.faults.hit({ at: "thread.turn.ended", turn: turn.turn }) ?? undefined;
    }
    return { recorded, armed, probe, settled: Promise.all([armed, probe]).then(() => recorded) };
  }

  /** Hands a queued turn to its run object, so that its `/state` says `queued`. */
  private async enqueue(turn: Turn) {
    const info = this.store.info();
    if (info === null) throw new Error("no thread");
    const request = ThreadRunRequest.parse(this.store.request(turn.turn));
    const reply = await this.run(turn.run_id).enqueue({ ...request, thread: { thread_id: info.thread_id, turn: turn.turn } });
    if (reply.outcome !== "conflict") this.store.markEnqueued(turn.turn);
    this.changed();
    return reply;
  }

  private changed(): void {
    this.streams.changed();
    this.ctx.waitUntil(this.syncIndex());
  }

  // -------------------------------------------------------------------------------------------
  // The index row and the alarm

  private indexOwed(): boolean {
    const info = this.store.info();
    return info !== null && info.version > info.indexed_version;
  }

  /** Writes the index row if it is behind; one write at a time, and one more if the thread changed meanwhile. */
  private syncIndex(): Promise<void> {
    if (this.indexing !== null) {
      this.indexAgain = true;
      return this.indexing;
    }
    this.indexing = (async () => {
      try {
        do {
          this.indexAgain = false;
          await this.writeIndex();
        } while (this.indexAgain);
      } finally {
        this.indexing = null;
      }
    })();
    return this.indexing;
  }

  private async writeIndex(): Promise<void> {
    const info = this.store.info();
    if (info === null || !this.indexOwed()) return;
    try {
      await upsertThread(this.env.DB, {
        tenant_id: info.tenant_id,
        thread_id: info.thread_id,
        status: this.store.openTurns().length > 0 ? "busy" : "idle",
        turns: this.store.lastTurn(),
        title: threadTitle(this.store.firstMessage()),
        created_at: info.created_at,
        updated_at: info.updated_at,
        version: info.version,
      });
      this.store.markIndexed(info.version);
    } catch (error) {
      this.logger.log("warn", "thread index row not written; will retry", { error: error instanceof Error ? error.message : String(error) });
    }
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
    await this.ctx.storage.setAlarm(this.armedSoonAt);
  }

  /** One alarm for the earliest thing owed: a retry, the watchdog of a running run, an index write. */
  private async rearm(): Promise<void> {
    const now = Date.now();
    const retry = now + Math.min(30_000, RETRY_BASE_MS * 2 ** Math.min(6, this.failures));
    const due: number[] = [];
    const open = this.store.openTurns();
    const action = nextAction(open);
    if (action.kind === "watch") due.push(now + this.settings.threads.watchdogMs);
    else if (action.kind !== "idle") due.push(retry);
    if (unconfirmed(open.slice(1)).length > 0 || this.indexOwed()) due.push(retry);
    this.armedSoonAt = null;
    if (due.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(now + 1, Math.min(...due)));
  }
}
