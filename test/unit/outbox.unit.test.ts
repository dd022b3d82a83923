/**
 * The outbox of an ended run (DESIGN.md rule 4). A tool dispatch the Queue will never take (in
 * production: a request over the Queue's 128 KB message limit, which a 32,000-code-point
 * `remember: 😀😀…` reaches; or a deleted queue) must not keep the ended run's object waking up
 * and re-sending for ever, nor be sent once the run has stopped waiting for it.
 */
import { describe, expect, it } from "vitest";
import { Harness } from "../support/engine-harness";

describe("a tool dispatch that the Queue keeps refusing", () => {
  it("is given up once the run stops waiting for it, and the ended run's alarm is cleared", async () => {
    let attempts = 0;
    const h = new Harness({
      config: { toolWaitMs: 5_000 },
      failDispatch: () => {
        attempts += 1;
        return true;
      },
    });
    await h.start({ message: "What is 3 * 3?" });
    await h.advance(5_000);
    expect(h.status()).toBe("completed");
    const attemptsWhileWaiting = attempts;

    // A day later the run is long over.
    await h.advance(24 * 60 * 60_000);
    expect(h.store.pendingEffects(), "effects left in the outbox of an ended run").toEqual([]);
    expect(h.alarmAt, "the ended run's alarm").toBeNull();
    expect(attempts - attemptsWhileWaiting, "sends attempted after the run stopped waiting").toBeLessThanOrEqual(1);
  });
});

describe("an outbox effect built from the run's state", () => {
  it("is performed only after what is committed is written, even when a command committed during the effect before it", async () => {
    const { Outbox } = await import("../../src/engine/runtime/outbox");
    // A store that writes at the end of the turn: `flush` writes what is committed.
    let committed = 0;
    let written = 0;
    const seen: { effect: string; written: number; committed: number }[] = [];
    let releaseDispatch: () => void = () => {};
    const items = [
      { id: "dispatch:tr_1", version: 1, attempts: 0, next_attempt_at: 0, effect: { kind: "feedback.insert", row: { feedback_id: "fb_1" } } },
      { id: "index", version: 1, attempts: 0, next_attempt_at: 0, effect: { kind: "index.sync" } },
    ];
    const store = {
      pendingEffects: () => {
        written = committed;
        return items.map((item) => ({ ...item }));
      },
      flush: () => {
        written = committed;
      },
      settleEffect: () => {},
      state: () => ({ run_id: "run_1", tenant_id: "dev", status: "cancelled", created_at: "", updated_at: "", message: "hi" }),
    };
    const deps = {
      store,
      clock: { now: () => 0, sleep: async () => {} },
      logger: { log: () => {}, child: () => deps.logger },
      probe: { hit: () => {} },
      config: { toolResendMs: 1000 },
      effects: {
        insertFeedback: () => {
          seen.push({ effect: "feedback.insert", written, committed });
          // While this effect is in flight, a command commits (in memory, not yet written).
          return new Promise<void>((resolve) => {
            releaseDispatch = resolve;
            committed += 1;
          });
        },
        upsertIndex: async () => {
          seen.push({ effect: "index.sync", written, committed });
        },
      },
    };
    const outbox = new Outbox(deps as never);
    const flushing = outbox.flush();
    await Promise.resolve();
    releaseDispatch();
    await flushing;
    expect(seen.map((s) => s.effect)).toEqual(["feedback.insert", "index.sync"]);
    // The index row tells of the state after the command's commit: that commit was written first.
    expect(seen[1]).toEqual({ effect: "index.sync", written: 1, committed: 1 });
  });
});
