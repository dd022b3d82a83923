/**
 * RunObject: one Durable Object per run (DESIGN.md). It owns the run's journal in SQLite, its live
 * SSE subscribers and its alarm, and is the only writer of its log. It is a thin shell: it wires
 * storage and bindings into the engine's runtime, hands each RPC command to the runtime (which
 * parses its input with zod, decides and applies), and hands every committed event to the SSE hub.
 * A run made by `POST /runs/{id}/replay` runs the same runtime on the recorded world instead.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { CommandInput, CommandReply } from "../engine/commands/table";
import type { AppendedEvent } from "../engine/journal";
import { Seq } from "../engine/events";
import { ChainVerifier } from "../engine/hash-chain";
import type { ChainCheck } from "../engine/hash-chain";
import { hasEnded } from "../engine/lifecycle";
import { QUEUED_META, QueuedRun } from "../engine/commands/enqueue";
import { OfflineModel } from "../engine/model/offline";
import type { Clock } from "../engine/ports";
import { queuedRunState } from "../engine/threads/queued-run";
import { RunRuntime } from "../engine/runtime/run-runtime";
import type { RuntimeDeps } from "../engine/runtime/deps";
import type { RunState } from "../engine/state";
import type { DeliveryResult } from "../engine/tool-protocol";
import { buildTrace, toOtlp } from "../engine/trace";
import type { Span, TraceSummary } from "../engine/trace";
import type { WorkflowState } from "../engine/workflow";
import { apiSettings } from "../adapters/api-settings";
import { JsonLogger } from "../adapters/json-logger";
import { createModelClient, createModerator } from "../adapters/model";
import { createRetriever, deferredRetriever } from "../adapters/retriever";
import { BindingEffects } from "../adapters/run-effects";
import { ServiceToolCatalog } from "../adapters/service-tool-catalog";
import { systemClock, systemIds } from "../adapters/system";
import { FaultProbe } from "./fault-probe";
import { finishFork, finishImport, forkPointsOf, isFresh } from "./run-adoption";
import type { AdoptFailure } from "./run-adoption";
import { exportStream } from "./run-export";
import { ReplaySession } from "./run-replay";
import { SqliteRunStore } from "./sqlite-run-store";
import { SseHub } from "./sse-hub";
import { StagedLog } from "./staged-log";
import type { StageResult } from "./staged-log";

/** An envelope as RPC carries it (an `unknown` member would make the RPC's result type `never`). */
export type EnvelopeJson = { [key: string]: string | number | boolean | null | object };

export interface EventsPage {
  /** Envelopes, as stored. */
  events: EnvelopeJson[];
  next_after: number;
  done: boolean;
}

/** Where a stream or page starts (events with a greater seq), and whether a stream follows the live log. */
export const StreamRequest = z.object({ after: Seq, follow: z.boolean() });
export type StreamRequest = z.infer<typeof StreamRequest>;
const PageRequest = z.object({ after: Seq, limit: z.number().int().min(1).max(1000) });
const AdoptRequest = z.object({ run_id: z.string().min(1), tenant_id: z.string().min(1) });
const ForkRequest = AdoptRequest.extend({
  at_seq: z.number().int().min(1),
  message: z.string().optional(),
  options: z.object({ approval: z.enum(["auto", "always", "never"]).optional(), max_tool_calls: z.number().int().min(0).max(20).optional() }).optional(),
});

export class RunObject extends DurableObject<Env> {
  private readonly store: SqliteRunStore;
  private readonly staged: StagedLog;
  private readonly hub: SseHub;
  /** The clock the journal stamps with: the system's, or a replay's recorded one. */
  private clock: Clock = systemClock;
  /** Protected, not private: the bench's subclass (bench/bench-worker.ts) appends through it. */
  protected runtime: RunRuntime;
  /** Set when this run is a replay of another. */
  private replay: ReplaySession | null = null;
  /** What the runtime of a live run is built from. */
  private readonly live: RuntimeDeps;
  /** Crash points armed by tests; see fault-probe.ts. */
  readonly faults: FaultProbe;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const settings = apiSettings(env);
    this.store = new SqliteRunStore(
      ctx.storage,
      { now: () => this.clock.now(), sleep: (ms) => this.clock.sleep(ms) },
      // Memory is ahead of storage: start again from what was written.
      { lost: (error) => ctx.abort(`the run's storage write failed: ${String(error)}`) },
    );
    this.staged = new StagedLog(ctx.storage.sql);
    this.hub = new SseHub({ page: (after, limit) => this.store.eventsAfter(after, limit), ended: () => this.ended() }, settings.sse);
    this.faults = new FaultProbe(
      () => {
        this.store.flush();
        return ctx.storage.sync();
      },
      (reason) => ctx.abort(reason),
    );
    this.live = this.liveDeps();
    this.runtime = new RunRuntime(this.live);
    this.replay = ReplaySession.resume(this.replayContext());
    if (this.replay !== null) {
      this.enterReplay(this.replay);
      if (!this.ended()) ctx.waitUntil(this.replay.drive());
    } else if (this.store.workflow()?.status === "running") {
      // Nothing drives a run in a fresh instance, so a workflow marked running was left behind by
      // an instance that died (mid-step, or between two steps). Drive it now, from whatever woke
      // this instance, instead of waiting for the platform to retry the failed alarm (seconds);
      // the alarm stays armed as the durable backstop, and a wake joins a drive under way.
      ctx.waitUntil(Promise.resolve().then(() => this.runtime.wake()));
    }
  }

  private liveDeps(): RuntimeDeps {
    const settings = apiSettings(this.env);
    const state = () => this.store.state();
    return {
      store: this.store,
      clock: systemClock,
      ids: systemIds,
      logger: new JsonLogger(settings.logLevel, () => ({ run_id: state()?.run_id, tenant_id: state()?.tenant_id })),
      model: createModelClient(settings.model, (input, init) => fetch(input, init), () => new OfflineModel()),
      moderator: createModerator(settings.moderation, (input, init) => fetch(input, init)),
      retriever: deferredRetriever(() => createRetriever(this.env)),
      catalog: new ServiceToolCatalog(this.env.TOOLS),
      effects: new BindingEffects(this.env),
      scheduler: {
        // With the commits before it: the start's watchdog, and its clearing when the run has ended.
        arm: (at) => this.store.flushWithAlarm(() => this.ctx.storage.setAlarm(at)),
        clear: () => this.store.flushWithAlarm(() => this.ctx.storage.deleteAlarm()),
      },
      publish: this.publisher.publish,
      background: (task) => this.ctx.waitUntil(task),
      probe: this.faults,
      config: settings.engine,
    };
  }

  /** Committed events go to subscribers once they are written (at the end of the turn, or with an alarm change). */
  private readonly publisher = {
    publish: (events: AppendedEvent[]) => this.store.afterWrite(() => this.hub.publish(events)),
  };

  /**
   * Answers once what the call committed is written: the store writes at the end of a turn, and a
   * reply must never tell of a commit that storage could still lose.
   */
  private async written<T>(reply: Promise<T>): Promise<T> {
    try {
      return await reply;
    } finally {
      this.store.flush();
    }
  }

  private replayContext() {
    return { store: this.store, staged: this.staged, live: this.live, publish: this.publisher };
  }

  /** From now on this object runs the replay's runtime, on the recorded clock. */
  private enterReplay(session: ReplaySession): void {
    this.runtime = session.runtime;
    this.clock = session.clock;
  }

  private ended(): boolean {
    const state = this.store.state();
    return state !== null && hasEnded(state.status);
  }

  override async alarm(): Promise<void> {
    await this.written(this.replay !== null ? this.replay.drive() : this.runtime.wake());
  }

  // Commands: each input is parsed by the runtime (a trust boundary), decided, then applied.

  start(input: CommandInput<"start">): Promise<CommandReply<"start">> {
    return this.written(this.runtime.run("start", input));
  }

  /** A run its thread queues behind others (commands/enqueue.ts); the thread starts it later. */
  enqueue(input: CommandInput<"enqueue">): Promise<CommandReply<"enqueue">> {
    return this.written(this.runtime.run("enqueue", input));
  }

  approve(input: CommandInput<"approve">): Promise<CommandReply<"approve">> {
    return this.written(this.runtime.run("approve", input));
  }

  cancel(input: CommandInput<"cancel">): Promise<CommandReply<"cancel">> {
    return this.written(this.runtime.run("cancel", input));
  }

  feedback(input: CommandInput<"feedback">): Promise<CommandReply<"feedback">> {
    return this.written(this.runtime.run("feedback", input));
  }

  /** Called by the tool executor; idempotent on `request_id`. A malformed outcome is answered `unknown`. */
  async deliverToolResult(outcome: unknown): Promise<DeliveryResult> {
    try {
      return await this.written(this.runtime.run("deliver", outcome));
    } catch (error) {
      if (error instanceof z.ZodError) return { status: "unknown" };
      throw error;
    }
  }

  // Another run's log, staged then adopted: import, fork, replay (run-adoption.ts, run-replay.ts).

  /** Keeps the next page of a log sent here; a page is refused once this run has a life of its own. */
  stage(page: unknown[]): StageResult {
    this.store.flush();
    if (!isFresh(this.store)) return { ok: false, first_bad_seq: 0, reason: "this run already exists" };
    const result = this.staged.receive(page);
    if (!result.ok) this.staged.discard();
    return result;
  }

  discardStaged(): void {
    this.store.flush();
    if (isFresh(this.store)) this.staged.discard();
  }

  adoptImport(request: z.input<typeof AdoptRequest>): Promise<CommandReply<"import"> | AdoptFailure> {
    const { run_id, tenant_id } = AdoptRequest.parse(request);
    return this.written(finishImport(this.staged, this.runtime, run_id, tenant_id));
  }

  adoptFork(request: z.input<typeof ForkRequest>): Promise<CommandReply<"fork"> | AdoptFailure> {
    const input = ForkRequest.parse(request);
    return this.written(finishFork(this.staged, this.runtime, input));
  }

  /** Starts replaying the staged log as this run; the replay goes on in the background. */
  async startReplay(request: z.input<typeof AdoptRequest>): Promise<{ outcome: "started"; run_id: string } | AdoptFailure> {
    const { run_id } = AdoptRequest.parse(request);
    if (!isFresh(this.store) || this.staged.length === 0) return { outcome: "invalid", reason: "nothing to replay" };
    const session = await this.written(ReplaySession.begin(this.replayContext(), run_id));
    if ("outcome" in session) return session;
    this.replay = session;
    this.enterReplay(session);
    this.ctx.waitUntil(session.drive());
    return { outcome: "started", run_id };
  }

  // Reads. Each first writes what is committed: an answer tells only of what storage holds.

  /** The snapshot; for a queued run, which has no events yet, its request shown as `queued`. */
  getState(): RunState | null {
    this.store.flush();
    const state = this.store.state();
    if (state !== null || this.store.workflow()?.status !== "queued") return state;
    const queued = this.store.meta(QUEUED_META);
    return queued === null ? null : queuedRunState(QueuedRun.parse(JSON.parse(queued)), apiSettings(this.env).engine);
  }

  /** The run exists: started, or queued by its thread. */
  private exists(): boolean {
    return this.store.state() !== null || this.store.workflow() !== null;
  }

  getWorkflow(): WorkflowState | null {
    this.store.flush();
    return this.store.workflow();
  }

  eventsPage(request: z.input<typeof PageRequest>): EventsPage | null {
    this.store.flush();
    const { after, limit } = PageRequest.parse(request);
    if (!this.exists()) return null;
    // From storage: a page is also what a fork or a replay copies, and its chain is checked as staged.
    const events = this.store.rawEventsAfter(after, limit).map((row) => JSON.parse(row.json) as EnvelopeJson);
    const nextAfter = (events.at(-1)?.seq as number | undefined) ?? after;
    return {
      events,
      next_after: nextAfter,
      done: nextAfter >= this.store.lastSeq() && this.ended(),
    };
  }

  /**
   * The SSE stream of the log after `after`: replay, then live unless `follow` is false. An ended
   * run with nothing after the cursor answers 204: that is what makes a browser's EventSource stop
   * reconnecting once it has everything (a 200 that ends is reconnected to for ever). Null: no run.
   */
  subscribe(request: StreamRequest): Response | null {
    this.store.flush();
    const { after, follow } = StreamRequest.parse(request);
    if (!this.exists()) return null;
    if (this.ended() && after >= this.store.lastSeq()) return new Response(null, { status: 204 });
    return this.hub.subscribe(after, follow);
  }

  /** The whole log as JSON lines, read a page at a time as the client reads. Null: no run. */
  exportLog(): Response | null {
    this.store.flush();
    if (this.store.state() === null) return null;
    return exportStream((after, limit) => this.store.rawEventsAfter(after, limit));
  }

  /** Where this run's log may be cut for a fork. Null: no run. */
  forkPoints(): number[] | null {
    this.store.flush();
    if (this.store.state() === null) return null;
    return forkPointsOf(this.store.pages());
  }

  spans(): Span[] | null {
    this.store.flush();
    return this.store.state() === null ? null : this.store.spans();
  }

  traceTree(): TraceSummary | null {
    this.store.flush();
    const state = this.store.state();
    return state === null ? null : buildTrace(state.run_id, state.status, this.store.spans());
  }

  traceOtlp(): unknown {
    this.store.flush();
    const state = this.store.state();
    return state === null ? null : toOtlp(state.run_id, state.tenant_id, this.store.spans(), new Date().toISOString());
  }

  /** Recomputes the hash chain over the whole log, a page at a time; with the run's tenant, for a manifest. */
  verifyChain(): (ChainCheck & { run_id: string; tenant_id: string }) | null {
    this.store.flush();
    const state = this.store.state();
    if (state === null) return null;
    const verifier = new ChainVerifier();
    for (let after = 0; ; ) {
      const page = this.store.rawEventsAfter(after, 1000);
      for (const row of page) verifier.push(JSON.parse(row.json) as Record<string, unknown>);
      if (page.length < 1000) break;
      after += page.length;
    }
    return { ...verifier.result(), run_id: state.run_id, tenant_id: state.tenant_id };
  }
}
