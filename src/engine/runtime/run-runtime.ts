/**
 * The run's runtime: advances the workflow whenever the alarm wakes it (DESIGN.md rule 3). SQLite
 * is the truth; each wake reads WorkflowState and does what it says: start or continue the current
 * step, retry an attempt that died with its object, expire a wait whose deadline passed, or stop.
 * Steps follow each other in one wake unless the workflow must wait. `wake()` is idempotent: a
 * duplicated alarm joins the drive already under way, and a drive finding nothing to do arms the
 * alarm for the next deadline and returns.
 */
import { classify, Superseded } from "../errors";
import { newEvent } from "../events";
import type { EventType } from "../events";
import { isTerminalStatus } from "../state";
import type { Span } from "../trace";
import { isTerminal } from "../workflow";
import type { WorkflowState } from "../workflow";
import type { RuntimeDeps } from "./deps";
import { STEP_FUNCTIONS } from "./step-table";
import { StepContext } from "./step-context";
import type { StepResult } from "./step-context";
import type { AppendedEvent, Commit, Effect } from "./store";
import { beginAttempt, completeStep, enterWait, failAttempt, finishRun, instant, resumeWait } from "./transitions";
import type { Instant } from "./transitions";
import { dueExpirations } from "./waits";

/** Events after which the run's index row (status) must be written again. */
const INDEXED: ReadonlySet<EventType> = new Set<EventType>([
  "run.started",
  "workflow.waiting",
  "workflow.resumed",
  "run.completed",
  "run.failed",
  "run.cancelled",
]);

const MAX_TRANSITIONS_PER_WAKE = 200;

/** How long a new run's index row waits for the run's next status before it is written anyway. */
export const INDEX_DELAY_MS = 250;

export class RunRuntime {
  private driving: Promise<void> | null = null;
  private execution: AbortController | null = null;
  private flushing: Promise<void> | null = null;
  /** The alarm time this instance last set, while it may still be pending. */
  private armedAt: number | null = null;

  constructor(readonly deps: RuntimeDeps) {}

  now(): Instant {
    return instant(this.deps.clock.now());
  }

  /**
   * Commits atomically, then broadcasts. A commit that may change the run's status also queues a
   * sync of its index row; the first one waits `INDEX_DELAY_MS`, so a run that ends (or waits)
   * sooner writes its row once, not twice.
   */
  commit(commit: Commit): AppendedEvent[] {
    const types = commit.events?.map((event) => event.type) ?? [];
    const sync: Effect[] = types.includes("run.started")
      ? [{ kind: "index.sync", not_before: this.deps.clock.now() + INDEX_DELAY_MS }]
      : types.some((type) => INDEXED.has(type))
        ? [{ kind: "index.sync" }]
        : [];
    const effects: Effect[] = [...(commit.effects ?? []), ...sync];
    const appended = this.deps.store.commit({ ...commit, effects });
    if (appended.length > 0) this.deps.publish(appended);
    return appended;
  }

  /**
   * Arms the alarm unless one this instance armed fires no later than `at`: an earlier watchdog
   * still guards a later step (it would wake a live drive, which it joins, or recover a dead one),
   * so a run pays one alarm write per wake, not one per step.
   */
  private async armBy(at: number): Promise<void> {
    if (this.armedAt !== null && this.armedAt <= at && this.armedAt > this.deps.clock.now()) return;
    await this.arm(at);
  }

  private async arm(at: number): Promise<void> {
    this.armedAt = at;
    await this.deps.scheduler.arm(at);
  }

  /**
   * Drives the run: called by the alarm, by `start`, and by a fresh instance that finds a run
   * left running. Joins a drive already under way instead of starting a second one.
   */
  wake(): Promise<void> {
    if (this.driving === null) {
      // The alarm that woke us, if one did, is spent: the next arming must really be written.
      this.armedAt = null;
      this.driving = this.drive().finally(() => {
        this.driving = null;
      });
    }
    return this.driving;
  }

  /** Stops a step executing in this instance (after a cancel); its writes are already fenced off. */
  abortExecution(reason: string): void {
    this.execution?.abort(new Superseded(reason));
  }

  private async drive(): Promise<void> {
    for (let transitions = 0; transitions < MAX_TRANSITIONS_PER_WAKE; transitions++) {
      const wf = this.deps.store.workflow();
      if (wf === null || isTerminal(wf)) break;
      const now = this.now();
      if (this.overWallTime(now)) continue;
      if (wf.step_phase === "waiting") {
        if (wf.waiting === null || now.ms < Date.parse(wf.waiting.deadline)) break;
        this.onDeadline(wf, now);
        continue;
      }
      if (wf.step_phase === "running") {
        // Only a drive runs steps, and none was running here: the object died mid-step.
        this.fail(wf, { code: "interrupted", message: `the run's object stopped during ${wf.current_step}`, retryable: true });
        continue;
      }
      await this.runStep(wf);
    }
    await this.flushEffects();
    await this.armNext();
  }

  /** Wall-time budget: checked at every transition; the run fails when it is spent. */
  private overWallTime(now: Instant): boolean {
    const state = this.deps.store.state();
    const wf = this.deps.store.workflow();
    if (state === null || wf === null || now.ms < Date.parse(state.budget.wall_time_ms.deadline)) return false;
    const limit = state.budget.wall_time_ms.limit;
    const used = now.ms - Date.parse(state.created_at);
    this.deps.logger.log("warn", "wall time budget exceeded", { limit, used });
    this.commit(
      finishRun(
        wf,
        newEvent("run.failed", { error: { code: "budget_exceeded", message: `the run exceeded its wall time budget of ${limit} ms` } }),
        "failed",
        this.openSpans(),
        now,
        [newEvent("budget.exceeded", { budget: "wall_time", limit, used })],
      ),
    );
    return true;
  }

  private async runStep(wf: WorkflowState): Promise<void> {
    const step = wf.current_step;
    if (step === null) return;
    const policy = this.deps.config.steps[step];
    const now = this.now();
    const spanId = wf.step_phase === "pending" ? this.deps.ids.span() : (wf.step_span_id ?? this.deps.ids.span());
    const begin = beginAttempt(wf, spanId, now, now.ms + policy.timeoutMs + this.deps.config.watchdogGraceMs);
    this.commit(begin);
    const owned = begin.workflow as WorkflowState;
    await this.armBy(Date.parse(owned.next_alarm_at ?? now.iso));
    const log = this.deps.logger.child({ step, attempt: owned.attempt });
    log.log("debug", wf.step_phase === "pending" ? "step started" : "step continued");

    const controller = new AbortController();
    this.execution = controller;
    const elapsed = now.ms - Date.parse(owned.step_started_at ?? now.iso);
    const timer = setTimeout(
      () => controller.abort(new DOMException("step deadline passed", "AbortError")),
      Math.max(1, policy.timeoutMs - elapsed),
    );
    const ctx = new StepContext(this.deps, (c) => this.commit(c), step, owned.attempt, spanId, owned.epoch, controller.signal);
    let result: StepResult;
    try {
      const body = async () => {
        await this.deps.probe.hit({ at: "step.started", step, attempt: owned.attempt });
        return STEP_FUNCTIONS[step](ctx);
      };
      result = await Promise.race([body(), rejectOnAbort(controller.signal)]);
    } catch (error) {
      if (error instanceof Superseded || !ctx.owns()) return;
      const failure = classify(error);
      log.log(failure.retryable ? "warn" : "error", "step failed", { error_code: failure.code, error: failure.message });
      this.fail(this.current(), failure);
      return;
    } finally {
      clearTimeout(timer);
      if (this.execution === controller) this.execution = null;
    }
    if (!ctx.owns()) return;
    this.onResult(this.current(), result);
    log.log("info", `step ${result.kind === "wait" ? "waiting" : "completed"}`, {
      duration_ms: this.deps.clock.now() - Date.parse(owned.step_started_at ?? now.iso),
      ...(result.kind === "wait" ? { reason: result.reason } : {}),
    });
    if (result.kind === "done") await this.deps.probe.hit({ at: "step.completed", step, attempt: owned.attempt });
  }

  private onResult(wf: WorkflowState, result: StepResult): void {
    const now = this.now();
    const stepSpan = wf.step_span_id === null ? null : this.deps.store.span(wf.step_span_id);
    switch (result.kind) {
      case "done":
        this.commit(completeStep(wf, stepSpan, now));
        return;
      case "wait":
        this.commit(enterWait(wf, result, this.deps.ids.span(), now));
        return;
      case "finish": {
        // The step completes first, then the run: the terminal event is always the last one.
        const completed = completeStep(wf, stepSpan, now);
        const finish = finishRun(
          completed.workflow as WorkflowState,
          newEvent("run.completed", { output: result.output, degraded: result.degraded }),
          "completed",
          this.openSpans().filter((span) => span.span_id !== stepSpan?.span_id),
          now,
          completed.events,
        );
        this.commit({ ...finish, spans: [...(completed.spans ?? []), ...(finish.spans ?? [])] });
        this.deps.logger.log("info", "run completed", { degraded: result.degraded });
        return;
      }
    }
  }

  private fail(wf: WorkflowState, failure: ReturnType<typeof classify>): void {
    const stepSpan = wf.step_span_id === null ? null : this.deps.store.span(wf.step_span_id);
    const commit = failAttempt(
      wf,
      failure,
      { step: stepSpan, open: this.openSpans(), retrySpanId: this.deps.ids.span() },
      this.deps.config,
      this.deps.ids.random(),
      this.now(),
    );
    this.commit(commit);
    if (commit.workflow && isTerminalStatus(commit.workflow.status)) {
      this.deps.logger.log("error", "run failed", { error_code: failure.code });
    }
  }

  /** A wait's deadline passed: a backoff ends; overdue approvals expire and overdue tool calls time out. */
  private onDeadline(wf: WorkflowState, now: Instant): void {
    const state = this.deps.store.state();
    if (state === null || wf.waiting === null) return;
    const waitSpan = this.deps.store.span(wf.waiting.span_id);
    const expired = wf.waiting.reason === "backoff" ? [] : dueExpirations(state, this.deps.config, now.ms);
    this.commit(resumeWait(wf, wf.waiting.reason === "backoff" ? "backoff" : "deadline", waitSpan, now, expired));
  }

  /** Leaves a wait because something outside happened (an approval, a tool result), and wakes up soon. */
  async resume(reason: string): Promise<void> {
    const wf = this.current();
    if (wf.status !== "waiting" || wf.waiting === null) return;
    this.commit(resumeWait(wf, reason, this.deps.store.span(wf.waiting.span_id), this.now()));
    await this.arm(this.deps.clock.now() + 1);
  }

  current(): WorkflowState {
    const wf = this.deps.store.workflow();
    if (wf === null) throw new Error("the run has no workflow state");
    return wf;
  }

  openSpans(): Span[] {
    return this.deps.store.spans().filter((span) => span.end === null);
  }

  /**
   * Performs due outbox effects. An effect that fails stays in the outbox with a later retry time,
   * and `armNext` wakes the run for it; one flush at a time.
   */
  async flushEffects(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    this.flushing = this.performDue().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  private async performDue(): Promise<void> {
    for (const item of this.deps.store.pendingEffects(this.deps.clock.now())) {
      if (item.effect.kind === "tool.dispatch" && Date.parse(item.effect.message.deadline_at) <= this.deps.clock.now()) {
        // The run has stopped waiting for this call (it timed out, or the run ended) and the
        // executor would refuse it as past its deadline: sending it now, or ever, is pointless.
        this.deps.logger.log("warn", "tool dispatch given up: past its deadline", {
          request_id: item.effect.message.request_id,
          attempts: item.attempts,
        });
        this.deps.store.settleEffect(item, { ok: true });
        continue;
      }
      try {
        await this.perform(item.effect);
        this.deps.store.settleEffect(item, { ok: true });
      } catch (error) {
        const delay = Math.min(60_000, 1_000 * 2 ** Math.min(6, item.attempts));
        const message = error instanceof Error ? error.message : String(error);
        this.deps.logger.log("warn", "effect failed; will retry", { effect: item.effect.kind, error: message, delay_ms: delay });
        this.deps.store.settleEffect(item, { ok: false, retryAt: this.deps.clock.now() + delay, error: message });
      }
    }
  }

  private async perform(effect: Effect): Promise<void> {
    switch (effect.kind) {
      case "tool.dispatch":
        await this.deps.effects.dispatchTool(effect.message);
        await this.deps.probe.hit({ at: "tool.dispatched", request_id: effect.message.request_id });
        return;
      case "feedback.insert":
        await this.deps.effects.insertFeedback(effect.row);
        return;
      case "index.sync": {
        const state = this.deps.store.state();
        if (state === null) return;
        await this.deps.effects.upsertIndex({
          tenant_id: state.tenant_id,
          run_id: state.run_id,
          status: state.status,
          created_at: state.created_at,
          updated_at: state.updated_at,
          message_preview: preview(state.message),
        });
        return;
      }
    }
  }

  /** Arms the one alarm for the earliest thing due: a wait's deadline, the wall-time limit, an effect retry. */
  async armNext(): Promise<void> {
    const wf = this.deps.store.workflow();
    const state = this.deps.store.state();
    const candidates: number[] = [];
    if (wf !== null && state !== null && !isTerminal(wf)) {
      if (wf.status === "waiting" && wf.waiting !== null) candidates.push(Date.parse(wf.waiting.deadline));
      // A step under way keeps its watchdog; between steps the next one is due now.
      else candidates.push(wf.next_alarm_at === null ? this.deps.clock.now() + 1 : Date.parse(wf.next_alarm_at));
      candidates.push(Date.parse(state.budget.wall_time_ms.deadline));
    }
    const retry = this.deps.store.pendingEffects()[0];
    if (retry !== undefined) candidates.push(retry.next_attempt_at);
    if (candidates.length === 0) {
      this.armedAt = null;
      await this.deps.scheduler.clear();
      return;
    }
    await this.arm(Math.max(this.deps.clock.now() + 1, Math.min(...candidates)));
  }
}

function preview(message: string): string {
  const flat = message.replace(/\s+/g, " ").trim();
  return flat.length <= 120 ? flat : `${flat.slice(0, 119)}…`;
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
