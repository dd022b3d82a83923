/**
 * Admission of new runs, per tenant (CONTRACT.md POST /runs), as pure functions over the tenant's
 * counters: a token bucket on new runs (`runsPerMinute`, bursts up to that many) and a cap on runs
 * not yet ended (`maxActiveRuns`). The TenantObject (one per tenant) keeps the counters in SQLite
 * and applies these decisions one at a time, so concurrent requests can never admit more than the
 * limits allow.
 *
 * A run holds a slot from admission until it ends. The run tells its tenant when it ends (the
 * `run.ended` outbox effect, run-ended.ts); a slot whose run never started, was wiped, or whose
 * notice was lost is found by reconciliation: `recheckAt` says when the tenant asks the run object
 * for its status again.
 */

export interface AdmissionLimits {
  runsPerMinute: number;
  maxActiveRuns: number;
}

export interface Bucket {
  tokens: number;
  /** When `tokens` was last computed (epoch ms). */
  at: number;
}

export type AdmissionReply =
  | { admitted: true; active: number }
  | { admitted: false; reason: "rate" | "active"; retry_after_s: number; active: number };

/** Retry-After for a tenant at its cap on active runs: when one of them ends is not known in advance. */
export const ACTIVE_RETRY_AFTER_S = 2;
/** How long a slot may exist with no run behind it (admitted, start not yet written) before it is released. */
export const START_GRACE_MS = 60_000;
/** Reconciliation of a slot whose run is still going: first after this long, then twice as long each time. */
export const RECHECK_BASE_MS = 30_000;
export const RECHECK_MAX_MS = 10 * 60_000;

/** The bucket refilled up to `now`. */
export function refill(bucket: Bucket | null, limits: AdmissionLimits, now: number): Bucket {
  const capacity = limits.runsPerMinute;
  if (bucket === null) return { tokens: capacity, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return { tokens: Math.min(capacity, bucket.tokens + (elapsed * capacity) / 60_000), at: Math.max(now, bucket.at) };
}

/**
 * Decides one request for a new run. `held`: the run already holds a slot (a retried admission for
 * the same run id), which is answered as admitted and costs nothing.
 */
export function decideAdmission(
  input: { bucket: Bucket | null; active: number; held: boolean },
  limits: AdmissionLimits,
  now: number,
): { reply: AdmissionReply; bucket: Bucket } {
  const bucket = refill(input.bucket, limits, now);
  if (input.held) return { reply: { admitted: true, active: input.active }, bucket };
  if (input.active >= limits.maxActiveRuns) {
    return { reply: { admitted: false, reason: "active", retry_after_s: ACTIVE_RETRY_AFTER_S, active: input.active }, bucket };
  }
  if (bucket.tokens < 1) {
    const waitMs = ((1 - bucket.tokens) * 60_000) / limits.runsPerMinute;
    return { reply: { admitted: false, reason: "rate", retry_after_s: Math.max(1, Math.ceil(waitMs / 1000)), active: input.active }, bucket };
  }
  return { reply: { admitted: true, active: input.active + 1 }, bucket: { tokens: bucket.tokens - 1, at: bucket.at } };
}

/** What reconciliation does with a slot, given what the run object says of its run. */
export type SlotCheck = { release: true; why: "ended" | "missing" } | { release: false; recheckAt: number };

export function checkSlot(
  slot: { admitted_at: number; checks: number },
  run: { status: string } | null,
  ended: (status: string) => boolean,
  now: number,
): SlotCheck {
  if (run !== null && ended(run.status)) return { release: true, why: "ended" };
  if (run === null && now - slot.admitted_at >= START_GRACE_MS) return { release: true, why: "missing" };
  return { release: false, recheckAt: now + recheckDelay(slot.checks + 1) };
}

/** The delay before the `n`th check of a slot (n ≥ 1 after the first). */
export function recheckDelay(n: number): number {
  return Math.min(RECHECK_MAX_MS, RECHECK_BASE_MS * 2 ** Math.max(0, n - 1));
}
