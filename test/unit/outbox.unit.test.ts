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
