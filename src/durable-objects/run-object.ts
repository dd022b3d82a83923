/**
 * RunObject: one Durable Object per run (DESIGN.md). It owns the run's journal in SQLite, its live
 * SSE subscribers and its alarm, and is the only writer of its log. It is a thin shell: it wires
 * storage and bindings into the engine's runtime, forwards RPCs to the engine's commands, and
 * hands every committed event to the SSE hub.
 */
import { DurableObject } from "cloudflare:workers";
import { OfflineModel } from "../engine/model/offline";
import { selectModelClient } from "../engine/model/router";
import { cancelRun, deliverToolResult, recordApproval, recordFeedback, startRun } from "../engine/runtime/commands";
import type { StartInput, StartResult } from "../engine/runtime/commands";
import { RunRuntime } from "../engine/runtime/run-runtime";
import { ChainVerifier } from "../engine/hash-chain";
import type { ChainCheck } from "../engine/hash-chain";
import type { RunState } from "../engine/state";
import { isTerminalStatus } from "../engine/state";
import { ToolOutcome } from "../engine/tools";
import type { DeliveryResult } from "../engine/tools";
import { buildTrace, toOtlp } from "../engine/trace";
import type { Span, TraceSummary } from "../engine/trace";
import type { WorkflowState } from "../engine/workflow";
import { createRetriever, deferredRetriever } from "../adapters/retriever";
import { JsonLogger } from "../adapters/json-logger";
import { BindingEffects } from "../adapters/run-effects";
import { readSettings } from "../adapters/settings";
import { systemClock, systemIds } from "../adapters/system";
import { FaultProbe } from "./fault-probe";
import { SqliteRunStore } from "./sqlite-run-store";
import { SseHub } from "./sse-hub";
import { ServiceToolCatalog } from "../adapters/service-tool-catalog";

export interface EventsPage {
  events: unknown[];
  next_after: number;
  done: boolean;
}

export type RefusalResult = { outcome: "not_found" } | { outcome: "conflict"; reason: string };

export class RunObject extends DurableObject<Env> {
  private readonly store: SqliteRunStore;
  private readonly hub: SseHub;
  /** Protected, not private: the bench's subclass (bench/bench-worker.ts) appends through it. */
  protected readonly runtime: RunRuntime;
  /** Crash points armed by tests; see fault-probe.ts. */
  readonly faults: FaultProbe;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const settings = readSettings(env);
    this.store = new SqliteRunStore(ctx.storage, systemClock);
    this.hub = new SseHub(
      {
        page: (after, limit) => this.store.eventsAfter(after, limit),
        ended: () => this.ended(),
      },
      settings.heartbeatMs,
      settings.retryMs,
    );
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
      // OpenAI when OPENAI_API_KEY is set (OPENAI_BASE_URL, MODEL_* and MODEL_TIMEOUT_MS tune it), else offline.
      model: selectModelClient(env, (input, init) => fetch(input, init), () => new OfflineModel()),
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
    return state !== null && isTerminalStatus(state.status);
  }

  override async alarm(): Promise<void> {
    await this.runtime.wake();
  }

  async start(input: StartInput): Promise<StartResult> {
    return startRun(this.runtime, input);
  }

  getState(): RunState | null {
    return this.store.state();
  }

  getWorkflow(): WorkflowState | null {
    return this.store.workflow();
  }

  eventsPage(after: number, limit: number): EventsPage | null {
    if (this.store.state() === null) return null;
    const events = this.store.eventsAfter(after, limit);
    const nextAfter = events.at(-1)?.seq ?? after;
    return {
      events: events.map((event) => JSON.parse(event.json) as unknown),
      next_after: nextAfter,
      done: nextAfter >= this.store.lastSeq() && this.ended(),
    };
  }

  async approve(input: { request_id: string; decision: "approve" | "reject"; reason: string | null; user_id: string }) {
    return recordApproval(this.runtime, input);
  }

  async cancel(userId: string) {
    return cancelRun(this.runtime, userId);
  }

  /** Called by the tool executor; idempotent on `request_id`. */
  async deliverToolResult(outcome: unknown): Promise<DeliveryResult> {
    const parsed = ToolOutcome.safeParse(outcome);
    if (!parsed.success) return { status: "unknown" };
    return deliverToolResult(this.runtime, parsed.data);
  }

  async feedback(input: { feedback_id: string; user_id: string; rating: "up" | "down"; comment: string | null }) {
    return recordFeedback(this.runtime, input);
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

  /** SSE: `GET /events?after=N&follow=true|false`, already validated by the api worker. */
  override async fetch(request: Request): Promise<Response> {
    if (this.store.state() === null) {
      return Response.json({ error: { code: "not_found", message: "run not found" } }, { status: 404 });
    }
    const url = new URL(request.url);
    const after = Number(url.searchParams.get("after") ?? "0");
    const follow = url.searchParams.get("follow") !== "false";
    const cursor = Number.isSafeInteger(after) && after >= 0 ? after : 0;
    // An ended run with nothing after the cursor: 204 is what makes a browser's EventSource stop
    // reconnecting once it has everything (a 200 that ends is reconnected to for ever).
    if (this.ended() && cursor >= this.store.lastSeq()) return new Response(null, { status: 204 });
    return this.hub.subscribe(cursor, follow);
  }
}
