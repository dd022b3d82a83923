/**
 * Replays a recorded run: executes the same workflow against the recorded world (world.ts) and
 * checks, event by event, that it writes what was recorded (`type` and `data`; `run_id`, `ts`,
 * `hash` and `span_id` aside). What came from outside the run is fed back at the point the recording
 * shows it: approvals, cancels and feedback as commands, tool outcomes as deliveries, a failed or
 * crashed attempt as a failure injected into the step that was running. Time is the recorded
 * time, so waits end when the recording says they did, at once.
 *
 * At the first difference the replay writes `replay.diverged {seq, expected, actual}` and ends the
 * run as failed (`replay_diverged`); a replay that reproduces the log ends as the recorded run did.
 */
import { canonicalJson } from "../hash-chain";
import type { RunEvent } from "../events";
import { newEvent } from "../events";
import type { AppendedEvent, RunStore } from "../journal";
import { hasEnded } from "../lifecycle";
import type { RunRuntime } from "../runtime/run-runtime";
import type { ToolOutcome } from "../tool-protocol";
import { finishRun, instant } from "../transitions";
import { TOOL_OUTCOME_UNKNOWN } from "../waits";
import type { RecordedLog, RecordingIndex } from "./recording";
import { META_EVENTS } from "./recording";
import type { ReplayWorld } from "./world";

/** What a replay compares of an event. */
export interface EventFace {
  type: string;
  data: unknown;
}

export interface ReplayOutcome {
  /** True when every recorded event was reproduced. */
  identical: boolean;
  diverged: { seq: number; expected: EventFace | null; actual: EventFace | null } | null;
  /** Events the replay wrote. */
  events: number;
}

const face = (event: { type: string; data: unknown } | null): EventFace | null => (event === null ? null : { type: event.type, data: event.data });


export class ReplayDriver {
  private divergence: ReplayOutcome["diverged"] = null;
  private runtime: RunRuntime | null = null;
  /** The seq up to which the recorded outside world has been fed back. */
  private fed = 0;

  constructor(
    private readonly log: RecordedLog,
    private readonly index: RecordingIndex,
    private readonly store: RunStore,
    private readonly world: ReplayWorld,
  ) {}

  attach(runtime: RunRuntime): void {
    this.runtime = runtime;
  }

  get diverged(): ReplayOutcome["diverged"] {
    return this.divergence;
  }

  /** Called with every commit's events, after the commit (the runtime's `publish`). */
  observe(appended: readonly AppendedEvent[]): void {
    this.world.committed(this.store.state()?.tool_requests.length ?? 0);
    if (this.divergence !== null) return;
    for (const event of appended) {
      if (this.diverges(event)) return;
    }
    this.feedOutside();
  }

  private diverges(event: AppendedEvent): boolean {
    const actual = JSON.parse(event.json) as RunEvent;
    const recorded = event.seq <= this.index.last_seq ? this.log.event(event.seq) : null;
    if (recorded !== null && recorded.type === actual.type && canonicalJson(recorded.data) === canonicalJson(actual.data)) return false;
    this.diverge(event.seq, face(recorded), face(actual));
    return true;
  }

  /** If the next recorded event came from outside the run, feeds it in now (once). */
  private feedOutside(): void {
    const runtime = this.runtime;
    const seq = this.store.lastSeq() + 1;
    if (runtime === null || seq <= this.fed || seq > this.index.last_seq) return;
    const next = this.log.event(seq);
    if (next === null) return;
    const state = this.store.state();
    switch (next.type) {
      case "approval.recorded":
        this.fed = seq;
        void runtime.run("approve", next.data);
        return;
      case "run.cancelled":
        this.fed = seq;
        void runtime.run("cancel", { user_id: next.data.by_user_id, ...(next.data.reason ? { reason: next.data.reason } : {}) });
        return;
      case "feedback.recorded":
        this.fed = seq;
        void runtime.run("feedback", { ...next.data, user_id: state?.user_id ?? "replay", comment: null });
        return;
      case "workflow.step.failed": {
        this.fed = seq;
        const scheduled = this.log.event(seq + 1);
        runtime.failExecution({
          ...next.data.error,
          retryable: next.data.retryable,
          // The recorded delay, whatever made it (a provider's retry-after, the jitter).
          ...(scheduled?.type === "workflow.step.retry_scheduled" ? { retryAfterMs: scheduled.data.backoff_ms } : {}),
        });
        return;
      }
      default:
        break;
    }
    const outcome = outcomeOf(next);
    if (outcome === null) return;
    const request = state?.tool_requests.find((r) => r.request_id === outcome.request_id);
    const expired = outcome.status === "failed" && outcome.error.code === TOOL_OUTCOME_UNKNOWN;
    if (request?.status !== "dispatched" || expired) return;
    this.fed = seq;
    void runtime.run("deliver", outcome);
  }

  private diverge(seq: number, expected: EventFace | null, actual: EventFace | null): void {
    this.divergence = { seq, expected, actual };
    const runtime = this.runtime;
    const wf = this.store.workflow();
    if (runtime === null || wf === null) return;
    runtime.crash("the replay diverged");
    const now = instant(runtime.deps.clock.now());
    const diverged = newEvent("replay.diverged", { seq, expected, actual });
    if (hasEnded(wf.status)) {
      runtime.commit({ at: now.ms, events: [diverged] });
      return;
    }
    const message = `the replay diverged from the recorded run at seq ${seq}`;
    runtime.commit({
      at: now.ms,
      ...finishRun(wf, newEvent("run.failed", { error: { code: "replay_diverged", message } }), "failed", runtime.openSpans(), now, [diverged]),
    });
  }

  /** Drives the replay to its end: the run ends, or diverges, or stops short of the recording. */
  async run(): Promise<ReplayOutcome> {
    const runtime = this.runtime;
    if (runtime === null) throw new Error("the replay driver is not attached to a runtime");
    this.feedOutside();
    for (;;) {
      const wf = this.store.workflow();
      if (this.divergence !== null || wf === null) break;
      const before = this.store.lastSeq();
      if (!hasEnded(wf.status)) await runtime.wake();
      if (this.divergence !== null) break;
      if (this.store.lastSeq() === before) {
        // Nothing moved. Past the recording's end, the replay is done; before it, the recording
        // holds an event this run will not write.
        if (before < this.index.last_seq) this.diverge(before + 1, face(this.log.event(before + 1)), null);
        break;
      }
    }
    const diverged = this.divergence;
    return { identical: diverged === null && this.store.lastSeq() === this.index.last_seq, diverged, events: this.store.lastSeq() };
  }
}

/** The outcome the executor delivered, as a recorded outcome event says it; null for any other event. */
function outcomeOf(event: RunEvent): ToolOutcome | null {
  switch (event.type) {
    case "tool.completed":
      return { request_id: event.data.request_id, status: "completed", result: event.data.result, cached: event.data.cached, duration_ms: event.data.duration_ms };
    case "tool.failed":
      return { request_id: event.data.request_id, status: "failed", error: event.data.error, retryable: event.data.retryable };
    case "tool.server.error":
      return { request_id: event.data.request_id, status: "server_error", server: event.data.server, error: event.data.error };
    case "tool.denied":
      return event.data.code === "executor" ? { request_id: event.data.request_id, status: "denied", reason: event.data.reason } : null;
    default:
      return null;
  }
}

export { META_EVENTS };
