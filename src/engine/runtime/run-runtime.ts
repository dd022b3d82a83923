/**
 * The run's runtime. Two ways in, one way out:
 * - `run(command, input)`: a command from outside (start, approve, cancel, deliver, feedback) is
 *   parsed, decided by its pure function (commands/), and applied: committed, published, and
 *   followed by what the decision says (drive, resume, abort, flush, re-arm).
 * - `wake()`: the alarm (or a fresh instance finding a run left running) advances the workflow
 *   (DESIGN.md rule 3). SQLite is the truth; each wake reads WorkflowState and does what it says:
 *   start or continue the current step, retry an attempt that died with its object, expire a wait
 *   whose deadline passed, or stop. Steps follow each other in one wake unless the workflow must
 *   wait. `wake()` is idempotent: a duplicated alarm joins the drive already under way.
 * Both end in `commit`: the one place events are appended and then handed to subscribers.
 */
import { decide } from "../commands/table";
import type { CommandName, CommandReply } from "../commands/table";
import type { DecideContext, Decision, RunView, RuntimeEffect } from "../commands/decision";
import { classify, Superseded } from "../errors";
import { newEvent } from "../events";
import { dispatchKey, effectKey } from "../journal";
import type { AppendedEvent, Commit } from "../journal";
import { hasEnded, isActive } from "../lifecycle";
import { endedEffectFor } from "../run-ended";
import { indexSyncFor } from "../run-index";
import type { StepResult } from "../steps/step";
import { STEP_FUNCTIONS } from "../steps/table";
import type { Span } from "../trace";
import { beginAttempt, completeStep, enterWait, failAttempt, finishRun, instant, resumeWait } from "../transitions";
import type { AttemptFailure, Instant } from "../transitions";
import { dueExpirations } from "../waits";
import type { WorkflowState } from "../workflow";
import type { RuntimeDeps } from "./deps";
import { Outbox } from "./outbox";
import { settleOverdue } from "./settlement";
import { LiveStepContext } from "./step-context";

const MAX_TRANSITIONS_PER_WAKE = 200;

export class RunRuntime {
  private driving: Promise<void> | null = null;
  private execution: AbortController | null = null;
  /** The step executing in this instance, if any. */
  private executing: LiveStepContext | null = null;
  private readonly outbox: Outbox;
  /** The alarm time this instance last set, while it may still be pending. */
  private armedAt: number | null = null;

  constructor(readonly deps: RuntimeDeps) {
    this.outbox = new Outbox(deps);
  }

  now(): Instant {
    return instant(this.deps.clock.now());
  }

  /** The run as its journal holds it now, for a command to decide on. */
  view(): RunView {
    const { store } = this.deps;
    return {
      state: store.state(),
      workflow: store.workflow(),
      meta: (key) => store.meta(key),
      span: (spanId) => store.span(spanId),
      openSpans: () => this.openSpans(),
    };
  }

  private decideContext(): DecideContext {
    return { now: this.now(), config: this.deps.config, ids: this.deps.ids };
  }

  /** Parses, decides and applies one command; the reply is the decision's. */
  run<N extends CommandName>(name: N, input: unknown): Promise<CommandReply<N>> {
    const ctx = this.decideContext();
    return this.apply(decide(name, this.view(), input, ctx), ctx.now.ms);
  }

  /** Commits a decision (its events carry the time it was decided), then does what it asks. */
  async apply<Reply>(decision: Decision<Reply>, at?: number): Promise<Reply> {
    if (decision.commit !== undefined) this.commit({ at, ...decision.commit });
    for (const effect of decision.effects ?? []) await this.perform(effect);
    return decision.reply;
  }

  private async perform(effect: RuntimeEffect): Promise<void> {
    const { clock, background } = this.deps;
    switch (effect.kind) {
      case "drive":
        // The drive starts here, after this turn of the event loop (the caller's answer, a 201,
        // goes out first rather than waiting behind the drive's writes). The alarm is only the
        // durable backstop, for an object that dies before the drive begins: it is armed as a
        // step's watchdog would be, not for now, so a run that goes well is never woken by it
        // (an alarm due at once cost every run an alarm invocation and a second alarm write).
        await this.arm(clock.now() + this.deps.config.watchdogGraceMs);
        background(clock.sleep(0).then(() => this.wake(false)));
        return;
      case "resume":
        await this.arm(clock.now() + 1);
        return;
      case "abort":
        this.execution?.abort(new Superseded(effect.reason));
        return;
      case "flush":
        if (effect.delayMs === undefined) await this.outbox.flush();
        else background(clock.sleep(effect.delayMs).then(() => this.outbox.flush()));
        return;
      case "rearm":
        await this.armNext();
        return;
    }
  }

  /**
   * Commits atomically, then broadcasts (DESIGN.md rule 1). A commit that may change the run's
   * status also queues a sync of its index row; one that ends the run queues its `run.ended` notice
   * instead, which carries the final row.
   */
  commit(commit: Commit): AppendedEvent[] {
    const types = commit.events?.map((event) => event.type) ?? [];
    const ended = endedEffectFor(types);
    // The end notice carries the final index row: an index sync still pending is superseded.
    const outbox = [...(commit.outbox ?? []), ...(ended.length > 0 ? ended : indexSyncFor(types, this.deps.clock.now()))];
    const settled = ended.length > 0 ? [...(commit.settled ?? []), effectKey({ kind: "index.sync" })] : commit.settled;
    const appended = this.deps.store.commit({ ...commit, outbox, ...(settled === undefined ? {} : { settled }) });
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
   * left running. Joins a drive already under way instead of starting a second one. `alarmSpent`:
   * whether the alarm this instance armed may have fired (false only for the drive a command starts).
   */
  wake(alarmSpent = true): Promise<void> {
    if (this.driving === null) {
      // The alarm that woke us, if one did, is spent: the next arming must really be written.
      if (alarmSpent) this.armedAt = null;
      this.driving = this.drive().finally(() => {
        this.driving = null;
      });
    }
    return this.driving;
  }

  private async drive(): Promise<void> {
    // Overdue calls whose settlement this wake asked for already (each is asked once per wake).
    const asked = new Set<string>();
    for (let transitions = 0; transitions < MAX_TRANSITIONS_PER_WAKE; transitions++) {
      const wf = this.deps.store.workflow();
      // A queued run (its thread starts it) and an ended one have nothing to drive.
      if (wf === null || !isActive(wf.status)) break;
      const now = this.now();
      if (this.overWallTime(wf, now)) continue;
      if (wf.step_phase === "waiting") {
        if (wf.waiting === null || now.ms < Date.parse(wf.waiting.deadline)) break;
        if (wf.waiting.reason === "tool" && (await this.settleOverdueCalls(now, asked))) continue;
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
    const due = this.outbox.nextDue();
    if (due !== null && due <= this.deps.clock.now()) {
      // What the drive committed is written, and so reaches its subscribers, before its effects go
      // out; the effects then wait one macrotask. A request queued behind the drive (typically the
      // client's stream, opened as the start's 201 arrived) is served first, so the end notice's
      // RPCs and writes no longer stand between a run's last event and its client.
      this.deps.store.flush?.();
      await this.deps.clock.sleep(0);
    }
    await this.outbox.flush();
    await this.armNext();
  }

  /** Wall-time budget: checked at every transition; the run fails when it is spent. */
  private overWallTime(wf: WorkflowState, now: Instant): boolean {
    const state = this.deps.store.state();
    if (state === null || now.ms < Date.parse(state.budget.wall_time_ms.deadline)) return false;
    const limit = state.budget.wall_time_ms.limit;
    const used = now.ms - Date.parse(state.created_at);
    this.deps.logger.log("warn", "wall time budget exceeded", { limit, used });
    this.commit({
      at: now.ms,
      ...finishRun(
        wf,
        newEvent("run.failed", { error: { code: "budget_exceeded", message: `the run exceeded its wall time budget of ${limit} ms` } }),
        "failed",
        this.openSpans(),
        now,
        [newEvent("budget.exceeded", { budget: "wall_time", limit, used })],
      ),
    });
    return true;
  }

  private async runStep(wf: WorkflowState): Promise<void> {
    const step = wf.current_step;
    if (step === null) return;
    const policy = this.deps.config.steps[step];
    const now = this.now();
    const spanId = wf.step_phase === "pending" ? this.deps.ids.span() : (wf.step_span_id ?? this.deps.ids.span());
    const begin = beginAttempt(wf, spanId, now, now.ms + policy.timeoutMs + this.deps.config.watchdogGraceMs);
    this.commit({ at: now.ms, ...begin });
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
    const ctx = new LiveStepContext(this.deps, (c) => this.commit(c), step, owned.attempt, spanId, owned.epoch, controller.signal);
    this.executing = ctx;
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
      if (this.executing === ctx) this.executing = null;
    }
    if (!ctx.owns()) return;
    this.onResult(this.current(), result);
    // Routine (debug): a step that completes, or waits for its tools. A wait for a person (info) is
    // what an operator may be asked about.
    log.log(result.kind === "wait" && result.reason === "approval" ? "info" : "debug", `step ${result.kind === "wait" ? "waiting" : "completed"}`, {
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
        this.commit({ at: now.ms, ...completeStep(wf, stepSpan, now) });
        return;
      case "wait":
        this.commit({ at: now.ms, ...enterWait(wf, result, this.deps.ids.span(), now) });
        return;
      case "finish": {
        // The step completes first, then the run: the terminal event is always the last one.
        const completed = completeStep(wf, stepSpan, now);
        const finish = finishRun(
          completed.workflow as WorkflowState,
          newEvent("run.completed", { output: result.output, degraded: result.degraded, refused: result.refused ?? false }),
          "completed",
          this.openSpans().filter((span) => span.span_id !== stepSpan?.span_id),
          now,
          completed.events,
        );
        this.commit({ at: now.ms, ...finish, spans: [...(completed.spans ?? []), ...(finish.spans ?? [])] });
        // Routine, like a step's completion: the log is for what needs attention (waits, failures).
        this.deps.logger.log("debug", "run completed", { degraded: result.degraded });
        return;
      }
    }
  }

  private fail(wf: WorkflowState, failure: AttemptFailure): void {
    const stepSpan = wf.step_span_id === null ? null : this.deps.store.span(wf.step_span_id);
    const now = this.now();
    const commit = failAttempt(
      wf,
      failure,
      { step: stepSpan, open: this.openSpans(), retrySpanId: this.deps.ids.span() },
      this.deps.config,
      this.deps.ids.random(),
      now,
    );
    this.commit({ at: now.ms, ...commit });
    if (commit.workflow && hasEnded(commit.workflow.status)) {
      this.deps.logger.log("error", "run failed", { error_code: failure.code });
    }
  }

  /**
   * Asks the executor to settle the calls past their deadline (settlement.ts) and records each
   * answer like a delivery. True when it asked: the drive reads the run again, since a delivery
   * may have moved it.
   */
  private async settleOverdueCalls(now: Instant, asked: Set<string>): Promise<boolean> {
    const state = this.deps.store.state();
    const outcomes = state === null ? null : await settleOverdue(this.deps, state, now.ms, asked);
    if (outcomes === null) return false;
    for (const outcome of outcomes) await this.run("deliver", outcome);
    return true;
  }

  /** A wait's deadline passed: a backoff ends; overdue approvals expire and calls with no outcome fail. */
  private onDeadline(wf: WorkflowState, now: Instant): void {
    const state = this.deps.store.state();
    if (state === null || wf.waiting === null) return;
    const waitSpan = this.deps.store.span(wf.waiting.span_id);
    const expired =
      wf.waiting.reason === "backoff"
        ? { events: [], spans: [] }
        : dueExpirations(state, now.ms, { next: () => this.deps.ids.span(), parent: wf.waiting.span_id });
    const settled = expired.events.flatMap((event) => (event.type === "tool.failed" ? [dispatchKey(event.data.request_id)] : []));
    const resume = resumeWait(wf, wf.waiting.reason === "backoff" ? "backoff" : "deadline", waitSpan, now, expired.events);
    this.commit({ at: now.ms, ...resume, spans: [...expired.spans, ...(resume.spans ?? [])], settled });
  }

  /**
   * Treats the step executing here as if its object had died: it writes nothing more, and the drive
   * finds its attempt `running` with no execution, as a fresh instance would, and retries it as
   * interrupted. (A replay uses this where the recorded run crashed.)
   */
  crash(reason: string): void {
    this.executing?.fence(reason);
    this.execution?.abort(new Superseded(reason));
  }

  /** Fails the attempt under way with `failure`, as if its step had thrown it (a replay's recorded failure). */
  failExecution(failure: AttemptFailure): void {
    this.crash(`the attempt failed: ${failure.code}`);
    const wf = this.current();
    if (wf.step_phase === "running") this.fail(wf, failure);
  }

  current(): WorkflowState {
    const wf = this.deps.store.workflow();
    if (wf === null) throw new Error("the run has no workflow state");
    return wf;
  }

  openSpans(): Span[] {
    return this.deps.store.spans().filter((span) => span.end === null);
  }

  /** Performs the outbox's due effects now (the first index write of a new run, a test). */
  flushEffects(): Promise<void> {
    return this.outbox.flush();
  }

  /** Arms the one alarm for the earliest thing due: a wait's deadline, the wall-time limit, an outbox item. */
  async armNext(): Promise<void> {
    const wf = this.deps.store.workflow();
    const state = this.deps.store.state();
    const candidates: number[] = [];
    if (wf !== null && state !== null && isActive(wf.status)) {
      if (wf.status === "waiting" && wf.waiting !== null) candidates.push(Date.parse(wf.waiting.deadline));
      // A step under way keeps its watchdog; between steps the next one is due now.
      else candidates.push(wf.next_alarm_at === null ? this.deps.clock.now() + 1 : Date.parse(wf.next_alarm_at));
      candidates.push(Date.parse(state.budget.wall_time_ms.deadline));
    }
    const due = this.outbox.nextDue();
    if (due !== null) candidates.push(due);
    if (candidates.length === 0) {
      this.armedAt = null;
      await this.deps.scheduler.clear();
      return;
    }
    await this.arm(Math.max(this.deps.clock.now() + 1, Math.min(...candidates)));
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}
