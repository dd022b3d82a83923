/**
 * The context a running step gets (steps/step.ts): reads of the run's state, appends (each committed
 * and then broadcast at once), child spans, and the ports. Every write first checks that this
 * execution still owns the run (same epoch, still running): a step that was cancelled or timed out
 * and replaced can never write again.
 */
import type { EngineConfig } from "../config";
import { Superseded, classify } from "../errors";
import type { NewEvent, StepName } from "../events";
import type { Commit, RunStore } from "../journal";
import type { Logger, ModelClient, Moderator, ProbePoint, Retriever, ToolCatalog } from "../ports";
import type { RunState } from "../state";
import type { StepContext } from "../steps/step";
import { errorAttributes } from "../span-attributes";
import { closeSpan, openSpan } from "../trace";
import type { SpanKind } from "../trace";
import type { RuntimeDeps } from "./deps";

export class LiveStepContext implements StepContext {
  readonly logger: Logger;
  /** The time the next commit's events carry: read once, kept until that commit. */
  private frozen: number | null = null;
  /** Set when this execution is to be treated as dead (a simulated crash): it may never write again. */
  private fencedBy: string | null = null;
  private readonly ports: { model?: ModelClient; moderator?: Moderator; retriever?: Retriever; catalog?: ToolCatalog } = {};

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly commitFn: (commit: Commit) => void,
    readonly step: StepName,
    readonly attempt: number,
    readonly spanId: string,
    private readonly epoch: number,
    readonly signal: AbortSignal,
  ) {
    this.logger = deps.logger.child({ step, attempt });
  }

  get config(): EngineConfig {
    return this.deps.config;
  }

  // The ports that reach outside the object. Before each call, what the run committed is written
  // (a store may write at the end of the turn): a model, a search or a catalogue is never asked
  // on behalf of a step whose start storage does not hold yet (DESIGN.md rule 3). The knowledge
  // count is the exception: a read that changes nothing outside, answered from the isolate's
  // cache on most runs, so a write before it would cost every run a commit of its own for nothing.
  // A step whose object dies before its start is written is run again; the count with it.
  get model(): ModelClient {
    const model = this.deps.model;
    return model.inProcess === true ? model : (this.ports.model ??= writtenFirst(model, this.deps.store));
  }
  get moderator(): Moderator | null {
    const moderator = this.deps.moderator ?? null;
    return moderator === null ? null : (this.ports.moderator ??= writtenFirst(moderator, this.deps.store));
  }
  get retriever(): Retriever {
    return (this.ports.retriever ??= writtenFirst(this.deps.retriever, this.deps.store, ["count"]));
  }
  get catalog(): ToolCatalog {
    return (this.ports.catalog ??= writtenFirst(this.deps.catalog, this.deps.store));
  }

  now(): number {
    this.frozen ??= this.deps.clock.now();
    return this.frozen;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  liveNow(): number {
    return this.deps.clock.now();
  }

  /** From now on this execution writes nothing (its object is treated as dead). */
  fence(reason: string): void {
    this.fencedBy = reason;
  }

  newRequestId(): string {
    return this.deps.ids.request();
  }

  newSpanId(): string {
    return this.deps.ids.span();
  }

  state(): RunState {
    const state = this.deps.store.state();
    if (state === null) throw new Superseded("the run has no state");
    return state;
  }

  owns(): boolean {
    if (this.fencedBy !== null) return false;
    const wf = this.deps.store.workflow();
    return wf !== null && wf.epoch === this.epoch && wf.status === "running";
  }

  /** Throws `Superseded` unless this execution still owns the run. */
  assertOwner(): void {
    if (!this.owns()) throw new Superseded(`step ${this.step} attempt ${this.attempt} no longer owns the run`);
  }

  emit(...events: NewEvent[]): void {
    this.commit({ events });
  }

  /** Commits events (tagged with this step's span unless they name one) and effects atomically. */
  commit(commit: Commit): void {
    this.assertOwner();
    const at = this.now();
    this.frozen = null;
    const events = commit.events?.map((event) => (event.span_id === undefined ? { ...event, span_id: this.spanId } : event));
    this.commitFn({ ...commit, events, at });
  }

  /** Runs `fn` inside a child span of this step, closed as ok or error with its duration. */
  async span<T>(
    kind: SpanKind,
    name: string,
    attributes: Record<string, unknown>,
    fn: (spanId: string) => Promise<T>,
    finish?: (value: T) => Record<string, unknown>,
  ): Promise<T> {
    const span = openSpan({ span_id: this.deps.ids.span(), parent_span_id: this.spanId, name, kind, attributes }, this.nowIso());
    this.commit({ spans: [span] });
    try {
      const value = await fn(span.span_id);
      this.commit({ spans: [closeSpan(span, this.nowIso(), "ok", finish?.(value))] });
      return value;
    } catch (error) {
      if (!(error instanceof Superseded) && this.owns()) {
        this.commit({ spans: [closeSpan(span, this.nowIso(), "error", errorAttributes(classify(error)))] });
      }
      throw error;
    }
  }

  probe(point: ProbePoint): void | Promise<void> {
    return this.deps.probe.hit(point);
  }
}

/** `port`, with the store's unwritten commits written before each of its methods runs (but the `reads`). */
function writtenFirst<T extends object>(port: T, store: Pick<RunStore, "flush">, reads: readonly (keyof T & string)[] = []): T {
  if (store.flush === undefined) return port;
  return new Proxy(port, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (typeof key === "string" && (reads as readonly string[]).includes(key)) return value.bind(target) as unknown;
      return (...args: unknown[]) => {
        store.flush?.();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
