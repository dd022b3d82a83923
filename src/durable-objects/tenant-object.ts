/**
 * TenantObject: one Durable Object per tenant, the admission of its new runs (DESIGN.md). It keeps
 * the token bucket and one row per run not yet ended (a slot) in SQLite; the decisions are the pure
 * functions of engine/admission.ts. A Durable Object runs one request at a time and every method
 * here is synchronous over storage, so a burst of concurrent admissions is decided in sequence and
 * never admits more than the limits allow.
 *
 * Slots are released by the run's `run.ended` notice (idempotent on the run id) and, should that
 * never come (the run's object was wiped, the start never happened, the notice was lost), by
 * reconciliation: the alarm asks each slot's run object for its status, on a backoff, and releases
 * the slot of a run that has ended or does not exist.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { checkSlot, decideAdmission, START_GRACE_MS } from "../engine/admission";
import type { AdmissionLimits, AdmissionReply, Bucket } from "../engine/admission";
import { runObjectName } from "../engine/ids";
import { hasEnded, RunStatus } from "../engine/lifecycle";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS slots (run_id TEXT PRIMARY KEY, admitted_at INTEGER NOT NULL, check_at INTEGER NOT NULL, checks INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS slots_by_check ON slots (check_at);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);`;

export const AdmitInput = z.object({
  tenant_id: z.string().min(1),
  run_id: z.string().min(1),
  limits: z.object({ runsPerMinute: z.number().int().positive(), maxActiveRuns: z.number().int().positive() }),
});
export type AdmitInput = z.infer<typeof AdmitInput>;

export const ReleaseInput = z.object({ run_id: z.string().min(1) }).passthrough();

export interface TenantCounters {
  active: number;
  tokens: number | null;
  run_ids: string[];
}

export class TenantObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** When the alarm is armed (null: not armed; undefined: not read yet). */
  private alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
  }

  /** Admits a new run or says why not and when to try again. Idempotent on the run id. */
  async admit(input: AdmitInput): Promise<AdmissionReply> {
    const { tenant_id, run_id, limits } = AdmitInput.parse(input);
    const now = Date.now();
    const held = this.sql.exec("SELECT 1 FROM slots WHERE run_id = ?", run_id).toArray().length > 0;
    const decision = decideAdmission({ bucket: this.bucket(), active: this.active(), held }, limits as AdmissionLimits, now);
    this.ctx.storage.transactionSync(() => {
      this.put("bucket", JSON.stringify(decision.bucket));
      this.put("tenant_id", tenant_id);
      if (decision.reply.admitted && !held) {
        this.sql.exec("INSERT INTO slots (run_id, admitted_at, check_at, checks) VALUES (?, ?, ?, 0)", run_id, now, now + START_GRACE_MS);
      }
    });
    if (decision.reply.admitted && !held) await this.armFor(now + START_GRACE_MS);
    return decision.reply;
  }

  /** The run ended (its `run.ended` notice, or a start that never happened): its slot is free. Idempotent. */
  async release(input: { run_id: string }): Promise<{ released: boolean }> {
    const { run_id } = ReleaseInput.parse(input);
    const released = this.sql.exec("DELETE FROM slots WHERE run_id = ?", run_id).rowsWritten > 0;
    return { released };
  }

  counters(): TenantCounters {
    const bucket = this.bucket();
    return {
      active: this.active(),
      tokens: bucket === null ? null : bucket.tokens,
      run_ids: this.sql.exec<{ run_id: string }>("SELECT run_id FROM slots ORDER BY admitted_at").toArray().map((r) => r.run_id),
    };
  }

  /** Reconciliation: every slot due for a check asks its run object for the run's status. */
  override async alarm(): Promise<void> {
    const tenantId = this.get("tenant_id");
    const now = Date.now();
    const due = this.sql
      .exec<{ run_id: string; admitted_at: number; checks: number }>("SELECT run_id, admitted_at, checks FROM slots WHERE check_at <= ? ORDER BY check_at LIMIT 100", now)
      .toArray();
    for (const slot of due) {
      let status: { status: string } | null;
      try {
        status = tenantId === null ? null : await this.runStatus(tenantId, slot.run_id);
      } catch {
        // The run object did not answer: ask again later rather than guess.
        this.sql.exec("UPDATE slots SET check_at = ?, checks = checks + 1 WHERE run_id = ?", Date.now() + 30_000, slot.run_id);
        continue;
      }
      const check = checkSlot(slot, status, (s) => hasEnded(RunStatus.catch("running").parse(s)), Date.now());
      if (check.release) this.sql.exec("DELETE FROM slots WHERE run_id = ?", slot.run_id);
      else this.sql.exec("UPDATE slots SET check_at = ?, checks = checks + 1 WHERE run_id = ?", check.recheckAt, slot.run_id);
    }
    const next = this.sql.exec<{ at: number | null }>("SELECT MIN(check_at) AS at FROM slots").toArray()[0]?.at ?? null;
    // This alarm is spent: the next one is armed here, or none.
    this.alarmAt = null;
    if (next !== null) await this.armFor(Math.max(next, Date.now() + 1));
  }

  private async runStatus(tenantId: string, runId: string): Promise<{ status: string } | null> {
    const stub = this.env.RUN_OBJECT.getByName(runObjectName(tenantId, runId));
    const workflow = (await stub.getWorkflow()) as { status: string } | null;
    return workflow === null ? null : { status: workflow.status };
  }

  /**
   * Arms the alarm for `at` unless it fires sooner already. The armed time is read once per
   * instance and then kept here (this object is its only writer), so an admission does not wait
   * for a storage read.
   */
  private async armFor(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at && this.alarmAt > Date.now()) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }

  private active(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM slots").toArray()[0]?.n ?? 0;
  }

  private bucket(): Bucket | null {
    const raw = this.get("bucket");
    return raw === null ? null : (JSON.parse(raw) as Bucket);
  }

  private get(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  private put(key: string, value: string): void {
    this.sql.exec("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
  }
}
