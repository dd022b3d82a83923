/**
 * ThreadObject: one Durable Object per conversation (DESIGN.md). It owns the thread's ordered turns
 * and the queue of messages waiting for the run before them, applies the `multitask` policy to a
 * message that overlaps a running one, starts each queued run when the one before it ends, hands
 * each run its history, and serves the thread's event stream by walking its runs' own logs.
 *
 * It is a thin shell: pure rules decide (engine/threads/turns.ts), SQLite holds the turns
 * (thread-store.ts), the driver does what they say is owed with idempotent RPCs to the run objects
 * (thread-driver.ts), the streams walk the runs' logs (thread-stream.ts). A run tells its thread that
 * it ended through its outbox (at least once); the thread's alarm is the watchdog that polls a
 * running run in case that notice is late, and retries whatever failed; a fresh instance (after a
 * crash or an eviction) advances at once. So a message is never lost, never run twice, and runs
 * keep their order.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { apiSettings } from "../adapters/api-settings";
import { upsertThread } from "../adapters/d1-thread-index";
import { JsonLogger } from "../adapters/json-logger";
import { parseGuardrailSettings } from "../adapters/guardrail-settings";
import { objectForRun } from "../adapters/named-object";
import { storedMessage } from "../engine/guardrail-events";
import type { GuardrailPolicy } from "../engine/guardrails/index";
import { messagePreview } from "../engine/run-index";
import type { ThreadCursor } from "../engine/threads/cursor";
import { INTERRUPTED, RunEndedNotice, threadTitle } from "../engine/threads/shapes";
import type { ThreadView } from "../engine/threads/shapes";
import { decidePost, turnStatus } from "../engine/threads/turns";
import { FaultProbe } from "./fault-probe";
import { ThreadDriver } from "./thread-driver";
import { CreateInput, PageInput, PostInput, StreamInput } from "./thread-rpc";
import type { PostReply, ThreadEventsPage } from "./thread-rpc";
import { ThreadStore } from "./thread-store";
import { ThreadStreams } from "./thread-stream";

/** A run's JSON page as its object returns it (parsed: RPC results are a trust boundary too). */
const RunPage = z.object({ events: z.array(z.unknown()), next_after: z.number().int(), done: z.boolean() }).nullable();

export class ThreadObject extends DurableObject<Env> {
  private readonly store: ThreadStore;
  private readonly streams: ThreadStreams;
  private readonly driver: ThreadDriver;
  private readonly logger: JsonLogger;
  /** Crash points armed by tests; see fault-probe.ts. */
  readonly faults: FaultProbe;
  private indexing: Promise<void> | null = null;
  private indexAgain = false;

  private readonly guardrailPolicy: GuardrailPolicy;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.guardrailPolicy = parseGuardrailSettings(env).policy;
    const settings = apiSettings(env);
    this.store = new ThreadStore(ctx.storage);
    this.logger = new JsonLogger(settings.logLevel, () => ({ thread_id: this.store.info()?.thread_id, tenant_id: this.store.info()?.tenant_id }));
    this.faults = new FaultProbe(
      () => ctx.storage.sync(),
      (reason) => ctx.abort(reason),
    );
    this.driver = new ThreadDriver({
      store: this.store,
      run: (runId) => this.run(runId),
      alarm: { set: (at) => ctx.storage.setAlarm(at), clear: () => ctx.storage.deleteAlarm() },
      faults: this.faults,
      logger: this.logger,
      settings: settings.threads,
      changed: () => this.changed(),
      afterAdvance: () => this.syncIndex(),
      otherWorkOwed: () => this.indexOwed(),
    });
    this.streams = new ThreadStreams(
      {
        turn: (n) => {
          const turn = this.store.turn(n);
          if (turn === null) return null;
          return { run_id: turn.run_id, readable: turn.enqueued || turn.phase === "running" || turn.phase === "ended", ended: turn.phase === "ended" };
        },
        runStream: (runId, after, follow) => this.run(runId).subscribe({ after, follow }),
      },
      settings.sse,
    );
    if (this.store.openTurns().length > 0 || this.indexOwed()) {
      // A fresh instance with work owed: its previous instance may have died mid-way (a turn marked
      // starting, a cancel not sent, an end not acted on). Do it now rather than at the next alarm.
      ctx.waitUntil(Promise.resolve().then(() => this.driver.advance(true)));
    }
  }

  private run(runId: string) {
    return objectForRun(this.env.RUN_OBJECT, this.store.info()?.tenant_id ?? "", runId);
  }

  /** The watchdog: polls a running run, retries what failed, re-arms. */
  override async alarm(): Promise<void> {
    await this.driver.advance(true);
  }

  create(input: z.input<typeof CreateInput>): ThreadView {
    const { thread_id, tenant_id, metadata } = CreateInput.parse(input);
    this.store.create({ thread_id, tenant_id, metadata, created_at: new Date().toISOString() });
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
    const now = new Date().toISOString();
    const decision = decidePost(
      this.store.turnByRun(request.run_id),
      this.store.openTurns(),
      this.store.lastTurn(),
      {
        run_id: request.run_id,
        fingerprint: request.fingerprint,
        multitask: input.multitask,
        user_id: request.user_id,
        // The title and the history keep the message as the run stores it, never as typed.
        message: storedMessage(request.message, this.guardrailPolicy),
      },
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
    let status = "queued";
    if (this.store.openTurns()[0]?.turn === turn.turn || decision.cancel.length > 0) {
      await this.driver.advance();
    } else {
      const reply = await this.driver.enqueue(turn).catch((error: unknown) => {
        // The turn is recorded; the alarm hands it to its run object later.
        this.logger.log("warn", "queued run not yet handed to its run object", { run_id: turn.run_id, error: String(error) });
        return null;
      });
      if (reply !== null && reply.outcome !== "conflict") status = reply.status;
      // An advance under way re-arms when it is done; otherwise the alarm must cover this turn now.
      if (!this.driver.busy) await this.driver.rearm();
    }
    // What it is by now: started (it was first in line), or still queued.
    const current = this.store.turn(turn.turn);
    if (current !== null && current.phase !== "queued") status = turnStatus(current);
    return { outcome: "created", run_id: turn.run_id, turn: turn.turn, status };
  }

  /** A run of this thread ended (its outbox's notice, at least once). */
  async runEnded(raw: unknown): Promise<{ recorded: boolean }> {
    const notice = RunEndedNotice.parse(raw);
    await this.faults.hit({ at: "thread.notice.received", turn: notice.turn });
    const info = this.store.info();
    const turn = this.store.turn(notice.turn);
    if (info === null || info.thread_id !== notice.thread_id || info.tenant_id !== notice.tenant_id || turn === null || turn.run_id !== notice.run_id) {
      this.logger.log("warn", "end notice for a run this thread does not hold", { run_id: notice.run_id, turn: notice.turn });
      return { recorded: false };
    }
    const ended = this.driver.endTurn(turn, notice.status, notice.output, notice.refused);
    if (ended.probe !== undefined) await ended.probe;
    // The next queued run starts now, in this same turn of the event loop: its `starting` mark joins
    // the end's write, so one flush of storage lets both the start and this answer go out. The
    // notice's sender need not wait for the start itself.
    this.ctx.waitUntil(this.driver.advance());
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

  private changed(): void {
    this.streams.changed();
    this.ctx.waitUntil(this.syncIndex());
  }

  // The index row (GET /threads): written after every change it shows, at least once.

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
      // The alarm tries again (the driver arms it while the row is behind).
      this.logger.log("warn", "thread index row not written; will retry", { error: error instanceof Error ? error.message : String(error) });
      if (!this.driver.busy) await this.driver.rearm();
    }
  }
}
