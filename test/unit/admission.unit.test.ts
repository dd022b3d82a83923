/**
 * Admission per tenant as pure decisions (engine/admission.ts): the token bucket, the cap on active
 * runs, idempotent retries, the Retry-After each refusal carries, and what reconciliation does
 * with a slot whose run ended, never started, or is still going.
 */
import { describe, expect, it } from "vitest";
import { ACTIVE_RETRY_AFTER_S, checkSlot, decideAdmission, RECHECK_MAX_MS, START_GRACE_MS } from "../../src/engine/admission";
import type { Bucket } from "../../src/engine/admission";
import { hasEnded, RunStatus } from "../../src/engine/lifecycle";

const T0 = Date.parse("2026-11-24T10:00:00.000Z");
const limits = { runsPerMinute: 120, maxActiveRuns: 50 };

/** Admits `n` requests in a row at time `at`, as the TenantObject would, one after the other. */
function burst(n: number, state: { bucket: Bucket | null; active: number }, at: number, l = limits) {
  let admitted = 0;
  const refusals: { reason: string; retry_after_s: number }[] = [];
  for (let i = 0; i < n; i++) {
    const d = decideAdmission({ bucket: state.bucket, active: state.active, held: false }, l, at);
    state.bucket = d.bucket;
    if (d.reply.admitted) {
      admitted++;
      state.active++;
    } else refusals.push({ reason: d.reply.reason, retry_after_s: d.reply.retry_after_s });
  }
  return { admitted, refusals };
}

describe("admission", () => {
  it("admits no more than MAX_ACTIVE_RUNS runs at once: 60 at once, then 150 more, gives 50", () => {
    const state = { bucket: null as Bucket | null, active: 0 };
    expect(burst(60, state, T0).admitted).toBe(50);
    const more = burst(150, state, T0 + 1000);
    expect(more.admitted).toBe(0);
    expect(more.refusals.every((r) => r.reason === "active" && r.retry_after_s === ACTIVE_RETRY_AFTER_S)).toBe(true);
  });

  it("lets a burst of RATE_LIMIT_RUNS_PER_MIN through, then refills at that rate, saying when to retry", () => {
    const l = { runsPerMinute: 10, maxActiveRuns: 1000 };
    const state = { bucket: null as Bucket | null, active: 0 };
    const first = burst(15, state, T0, l);
    expect(first.admitted).toBe(10);
    // One token comes back every 6 s: the first refusal says so, in whole seconds.
    expect(first.refusals[0]).toEqual({ reason: "rate", retry_after_s: 6 });
    expect(burst(1, state, T0 + 5_999, l).admitted).toBe(0);
    expect(burst(1, state, T0 + 6_000, l).admitted).toBe(1);
    // A minute idle refills the bucket, never beyond its size.
    expect(burst(20, state, T0 + 10 * 60_000, l).admitted).toBe(10);
  });

  it("never says to retry sooner than one second", () => {
    const l = { runsPerMinute: 6000, maxActiveRuns: 10_000 };
    const state = { bucket: null as Bucket | null, active: 0 };
    const { refusals } = burst(6001, state, T0, l);
    expect(refusals).toEqual([{ reason: "rate", retry_after_s: 1 }]);
  });

  it("answers a run that already holds a slot as admitted, at no cost, even at the limits", () => {
    const l = { runsPerMinute: 1, maxActiveRuns: 1 };
    const first = decideAdmission({ bucket: null, active: 0, held: false }, l, T0);
    expect(first.reply.admitted).toBe(true);
    const again = decideAdmission({ bucket: first.bucket, active: 1, held: true }, l, T0);
    expect(again.reply).toEqual({ admitted: true, active: 1 });
    expect(again.bucket.tokens).toBe(first.bucket.tokens);
  });

  it("does not spend a token on a request refused for the active cap", () => {
    const l = { runsPerMinute: 5, maxActiveRuns: 2 };
    const d = decideAdmission({ bucket: { tokens: 3, at: T0 }, active: 2, held: false }, l, T0);
    expect(d.reply.admitted).toBe(false);
    expect(d.bucket.tokens).toBe(3);
  });
});

describe("reconciliation of a slot", () => {
  const ended = (s: string) => hasEnded(RunStatus.catch("running").parse(s));
  const slot = { admitted_at: T0, checks: 0 };

  it("releases the slot of a run that has ended", () => {
    for (const status of ["completed", "failed", "cancelled"]) expect(checkSlot(slot, { status }, ended, T0 + 1000)).toEqual({ release: true, why: "ended" });
  });

  it("releases a slot with no run behind it once the start grace has passed, not before", () => {
    expect(checkSlot(slot, null, ended, T0 + START_GRACE_MS - 1).release).toBe(false);
    expect(checkSlot(slot, null, ended, T0 + START_GRACE_MS)).toEqual({ release: true, why: "missing" });
  });

  it("keeps the slot of a run still going, asking again later and less often", () => {
    const first = checkSlot(slot, { status: "waiting" }, ended, T0 + START_GRACE_MS);
    const later = checkSlot({ admitted_at: T0, checks: 8 }, { status: "running" }, ended, T0 + START_GRACE_MS);
    expect(first).toEqual({ release: false, recheckAt: T0 + START_GRACE_MS + 30_000 });
    expect(later).toEqual({ release: false, recheckAt: T0 + START_GRACE_MS + RECHECK_MAX_MS });
    expect(checkSlot(slot, { status: "queued" }, ended, T0 + START_GRACE_MS).release).toBe(false);
  });
});
