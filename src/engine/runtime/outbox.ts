/**
 * Performs the run's outbox: the effects its commits recorded, once those commits are durable
 * (DESIGN.md rule 4). An effect that fails stays with a later retry time; the alarm wakes the run
 * for it. A tool dispatch is special: the run owns the request until its outcome arrives, so a
 * dispatch that was sent stays too, and is re-sent on a schedule (the executor dedupes on the
 * request id) until the outcome's commit settles it or the request's deadline passes.
 */
import { hasEnded } from "../lifecycle";
import type { Effect, OutboxItem } from "../journal";
import { endedNotice } from "../run-ended";
import { indexRowOf } from "../run-index";
import type { RuntimeDeps } from "./deps";

/** Attempts after which an effect that keeps failing (other than a dispatch, bounded by its deadline) is given up. */
const MAX_FAILED_ATTEMPTS = 10;
const MAX_RESEND_GAP_MS = 30_000;

export class Outbox {
  private flushing: Promise<void> | null = null;

  constructor(private readonly deps: RuntimeDeps) {}

  /** Performs what is due; one flush at a time (a second caller waits for the first, then flushes). */
  async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    this.flushing = this.performDue().finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }

  /** When the earliest outbox item is due, if any. */
  nextDue(): number | null {
    return this.deps.store.pendingEffects()[0]?.next_attempt_at ?? null;
  }

  private async performDue(): Promise<void> {
    const { store, clock, logger } = this.deps;
    // A thread's next run waits for this run's end notice; nothing waits for the others as much.
    const due = store.pendingEffects(clock.now()).sort((a, b) => Number(b.effect.kind === "run.ended") - Number(a.effect.kind === "run.ended"));
    for (const item of due) {
      if (item.effect.kind === "tool.dispatch" && !this.stillOwed(item.effect)) {
        store.settleEffect(item, { done: true });
        continue;
      }
      try {
        // An effect is built from the run's state as it is now: what it tells must be written first
        // (an earlier effect's await may have let a command commit meanwhile).
        store.flush?.();
        await this.perform(item.effect);
        store.settleEffect(item, this.afterSuccess(item));
        if (item.effect.kind === "tool.dispatch" && item.attempts > 0) {
          logger.log("info", "tool request re-sent", { request_id: item.effect.message.request_id, sends: item.attempts + 1 });
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (item.effect.kind !== "tool.dispatch" && item.attempts + 1 >= MAX_FAILED_ATTEMPTS) {
          logger.log("error", "effect given up after repeated failures", { effect: item.effect.kind, attempts: item.attempts + 1, error: message });
          store.settleEffect(item, { done: true });
          continue;
        }
        const delay = Math.min(60_000, 1_000 * 2 ** Math.min(6, item.attempts));
        logger.log("warn", "effect failed; will retry", { effect: item.effect.kind, error: message, delay_ms: delay });
        store.settleEffect(item, { done: false, at: clock.now() + delay, error: message });
      }
    }
  }

  /**
   * A dispatch is owed while its request still waits for an outcome, before its deadline, in a run
   * that has not ended; past that, the executor would refuse it and the run no longer listens.
   */
  private stillOwed(effect: Extract<Effect, { kind: "tool.dispatch" }>): boolean {
    const state = this.deps.store.state();
    const request = state?.tool_requests.find((r) => r.request_id === effect.message.request_id);
    if (state === null || request === undefined || hasEnded(state.status) || request.status !== "dispatched") return false;
    return Date.parse(effect.message.deadline_at) > this.deps.clock.now();
  }

  /** A sent dispatch comes round again after a growing gap; any other effect is done. */
  private afterSuccess(item: OutboxItem): { done: true } | { done: false; at: number } {
    if (item.effect.kind !== "tool.dispatch") return { done: true };
    const gap = Math.min(MAX_RESEND_GAP_MS, this.deps.config.toolResendMs * 2 ** Math.min(10, item.attempts));
    return { done: false, at: this.deps.clock.now() + gap };
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
        await this.deps.effects.upsertIndex(indexRowOf(state));
        return;
      }
      case "run.ended": {
        const state = this.deps.store.state();
        const notice = state === null ? null : endedNotice(state);
        if (notice !== null) await this.deps.effects.runEnded(notice);
        return;
      }
    }
  }
}
