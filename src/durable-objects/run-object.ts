/**
 * RunObject: one Durable Object per run (DESIGN.md). It owns the run's journal in SQLite, its live
 * SSE subscribers and its alarm, and is the only writer of its log. It is a thin shell: it wires
 * storage and bindings into the engine's runtime, hands each RPC command to the runtime (which
 * parses its input with zod, decides and applies), and hands every committed event to the SSE hub.
 */
import { DurableObject } from "cloudflare:workers";
import type { CommandInput, CommandReply } from "../engine/commands/table";
import { Seq } from "../engine/events";
import { ChainVerifier } from "../engine/hash-chain";
import type { ChainCheck } from "../engine/hash-chain";
import { hasEnded } from "../engine/lifecycle";
import { OfflineModel } from "../engine/model/offline";
import { RunRuntime } from "../engine/runtime/run-runtime";
import type { RunState } from "../engine/state";
import type { DeliveryResult } from "../engine/tool-protocol";
import { buildTrace, toOtlp } from "../engine/trace";
import type { Span, TraceSummary } from "../engine/trace";
import type { WorkflowState } from "../engine/workflow";
import { z } from "zod";
import { apiSettings } from "../adapters/api-settings";
import { JsonLogger } from "../adapters/json-logger";
import { createModelClient, createModerator } from "../adapters/model";
import { createRetriever, deferredRetriever } from "../adapters/retriever";
import { BindingEffects } from "../adapters/run-effects";
import { ServiceToolCatalog } from "../adapters/service-tool-catalog";
import { systemClock, systemIds } from "../adapters/system";
import { FaultProbe } from "./fault-probe";
import { SqliteRunStore } from "./sqlite-run-store";
import { SseHub } from "./sse-hub";

export interface EventsPage {
  events: unknown[];
  next_after: number;
  done: boolean;
}

/** Where a stream or page starts (events with a greater seq), and whether a stream follows the live log. */
export const StreamRequest = z.object({ after: Seq, follow: z.boolean() });
export type StreamRequest = z.infer<typeof StreamRequest>;
const PageRequest = z.object({ after: Seq, limit: z.number().int().min(1).max(1000) });

export class RunObject extends DurableObject<Env> {
  private readonly store: SqliteRunStore;
  private readonly hub: SseHub;
  /** Protected, not private: the bench's subclass (bench/bench-worker.ts) appends through it. */
  protected readonly runtime: RunRuntime;
  /** Crash points armed by tests; see fault-probe.ts. */
  readonly faults: FaultProbe;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const settings = apiSettings(env);
    this.store = new SqliteRunStore(ctx.storage, systemClock);
    this.hub = new SseHub({ page: (after, limit) => this.store.eventsAfter(after, limit), ended: () => this.ended() }, settings.sse);
    this.faults = new FaultProbe(
      () => ctx.storage.sync(),
      (reason) => ctx.abort(reason),
    );
    const state = () => this.store.state();
    this.runtime = new RunRuntime({
      store: this.store,
      clock: systemClock,
      ids: systemIds,
      logger: new JsonLogger(settings.logLevel, () => ({ run_id: state()?.run_id, tenant_id: state()?.tenant_id })),
      model: createModelClient(settings.model, (input, init) => fetch(input, init), () => new OfflineModel()),
      moderator: createModerator(settings.moderation, (input, init) => fetch(input, init)),
      retriever: deferredRetriever(() => createRetriever(env)),
      catalog: new ServiceToolCatalog(env.TOOLS),
      effects: new BindingEffects(env),
      scheduler: {
        arm: (at) => ctx.storage.setAlarm(at),
        clear: () => ctx.storage.deleteAlarm(),
      },
      publish: (events) => this.hub.publish(events),
      background: (task) => ctx.waitUntil(task),
      probe: this.faults,
      config: settings.engine,
    });
    if (this.store.workflow()?.status === "running") {
      // Nothing drives a run in a fresh instance, so a workflow marked running was left behind by
      // an instance that died (mid-step, or between two steps). Drive it now, from whatever woke
      // this instance, instead of waiting for the platform to retry the failed alarm (seconds);
      // the alarm stays armed as the durable backstop, and a wake joins a drive under way.
      ctx.waitUntil(Promise.resolve().then(() => this.runtime.wake()));
    }
  }

  private ended(): boolean {
    const state = this.store.state();
    return state !== null && hasEnded(state.status);
  }

  override async alarm(): Promise<void> {
    await this.runtime.wake();
  }

  // Commands: each input is parsed by the runtime (a trust boundary), decided, then applied.

  start(input: CommandInput<"start">): Promise<CommandReply<"start">> {
    return this.runtime.run("start", input);
  }

  approve(input: CommandInput<"approve">): Promise<CommandReply<"approve">> {
    return this.runtime.run("approve", input);
  }

  cancel(input: CommandInput<"cancel">): Promise<CommandReply<"cancel">> {
    return this.runtime.run("cancel", input);
  }

  feedback(input: CommandInput<"feedback">): Promise<CommandReply<"feedback">> {
    return this.runtime.run("feedback", input);
  }

  /** Called by the tool executor; idempotent on `request_id`. A malformed outcome is answered `unknown`. */
  async deliverToolResult(outcome: unknown): Promise<DeliveryResult> {
    try {
      return await this.runtime.run("deliver", outcome);
    } catch (error) {
      if (error instanceof z.ZodError) return { status: "unknown" };
      throw error;
    }
  }

  // Reads.

  getState(): RunState | null {
    return this.store.state();
  }

  getWorkflow(): WorkflowState | null {
    return this.store.workflow();
  }

  eventsPage(request: z.input<typeof PageRequest>): EventsPage | null {
    const { after, limit } = PageRequest.parse(request);
    if (this.store.state() === null) return null;
    const events = this.store.eventsAfter(after, limit);
    const nextAfter = events.at(-1)?.seq ?? after;
    return {
      events: events.map((event) => JSON.parse(event.json) as unknown),
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
    const { after, follow } = StreamRequest.parse(request);
    if (this.store.state() === null) return null;
    if (this.ended() && after >= this.store.lastSeq()) return new Response(null, { status: 204 });
    return this.hub.subscribe(after, follow);
  }

  spans(): Span[] | null {
    return this.store.state() === null ? null : this.store.spans();
  }

  traceTree(): TraceSummary | null {
    const state = this.store.state();
    return state === null ? null : buildTrace(state.run_id, state.status, this.store.spans());
  }

  traceOtlp(): unknown {
    const state = this.store.state();
    return state === null ? null : toOtlp(state.run_id, state.tenant_id, this.store.spans(), new Date().toISOString());
  }

  /** Recomputes the hash chain over the whole log, a page at a time. */
  verifyChain(): ChainCheck | null {
    if (this.store.state() === null) return null;
    const verifier = new ChainVerifier();
    for (let after = 0; ; ) {
      const page = this.store.rawEventsAfter(after, 1000);
      for (const row of page) verifier.push(JSON.parse(row.json) as Record<string, unknown>);
      if (page.length < 1000) break;
      after += page.length;
    }
    return verifier.result();
  }
}
