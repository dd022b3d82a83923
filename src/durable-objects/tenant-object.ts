/**
 * TenantObject: one Durable Object per tenant, the admission of its new runs (DESIGN.md), and the
 * writer of its runs' rows in the run index. It keeps the token bucket and one row per run not yet
 * ended (a slot) in SQLite; the decisions are the pure functions of engine/admission.ts. A Durable
 * Object runs one request at a time and every method here is synchronous over storage, so a burst
 * of concurrent admissions is decided in sequence and never admits more than the limits allow.
 *
 * Slots are released by the run's `run.ended` notice (idempotent on the run id) and, should that
 * never come (the run's object was wiped, the start never happened, the notice was lost), by
 * reconciliation: the alarm asks each slot's run object for its status, on a backoff, and releases
 * the slot of a run that has ended or does not exist.
 *
 * Index rows (a run's status for `GET /runs`) arrive from the runs' outboxes, the final one with the
 * `run.ended` notice. They are staged here and written to D1 together, one request per batch rather
 * than one per row, within INDEX_FLUSH_MS; `GET /runs` flushes first, so a listing shows every row
 * the tenant has been told of. A staged row survives the object: the alarm writes what an instance
 * left behind, and retries a failed write.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { checkSlot, decideAdmission, START_GRACE_MS } from "../engine/admission";
import type { AdmissionLimits, AdmissionReply, Bucket } from "../engine/admission";
import type { RunIndexRow } from "../engine/journal";
import { hasEnded, RunStatus } from "../engine/lifecycle";
import { upsertRuns } from "../adapters/d1-run-index";
import { objectForRun } from "../adapters/named-object";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS slots (run_id TEXT PRIMARY KEY, admitted_at INTEGER NOT NULL, check_at INTEGER NOT NULL, checks INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS slots_by_check ON slots (check_at);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS index_rows (run_id TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at TEXT NOT NULL, json TEXT NOT NULL);`;

/**
 * How long a staged index row waits for others before they are written to D1 together. A longer
 * wait means fewer, fuller D1 requests; a listing never waits for it, since `GET /runs` writes what
 * is staged first, and the alarm writes what an instance left behind. The write takes time on the
 * thread that serves the tenant's runs, so a short wait lands it inside the next run of a client
 * that starts one every ~100 ms (measured in the README's "Scaling and performance").
 */
export const INDEX_FLUSH_MS = 1_000;
/** The alarm that writes rows an instance left staged, or retries a write that failed. */
const INDEX_BACKSTOP_MS = 5_000;
/** Rows per D1 request. */
const INDEX_BATCH = 50;

/** A run's index row as it crosses into this object (the engine's `RunIndexRow`). */
export const IndexRow: z.ZodType<RunIndexRow> = z.object({
  tenant_id: z.string().min(1),
  run_id: z.string().min(1),
  status: z.string().min(1),
  created_at: z.string(),
  updated_at: z.string(),
  message_preview: z.string(),
});

export const AdmitInput = z.object({
  tenant_id: z.string().min(1),
  run_id: z.string().min(1),
  limits: z.object({ runsPerMinute: z.number().int().positive(), maxActiveRuns: z.number().int().positive() }),
});
export type AdmitInput = z.infer<typeof AdmitInput>;

/** `index`: the run's final index row, when the run ended (its notice); none when a start failed. */
export const ReleaseInput = z.object({ run_id: z.string().min(1), index: IndexRow.optional() }).passthrough();

export interface TenantCounters {
  active: number;
  tokens: number | null;
  run_ids: string[];
}

export class TenantObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** When the alarm is armed (null: not armed; undefined: not read yet). */
  private alarmAt: number | null | undefined = undefined;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<number> | null = null;
  private readonly kvCache = new Map<string, string | null>();

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
    try {
      this.ctx.storage.transactionSync(() => {
        this.put("bucket", JSON.stringify(decision.bucket));
        if (this.get("tenant_id") !== tenant_id) this.put("tenant_id", tenant_id);
        if (decision.reply.admitted && !held) {
          this.sql.exec("INSERT INTO slots (run_id, admitted_at, check_at, checks) VALUES (?, ?, ?, 0)", run_id, now, now + START_GRACE_MS);
        }
      });
    } catch (error) {
      // Rolled back: the kept copies may be ahead of storage.
      this.kvCache.clear();
      throw error;
    }
    if (decision.reply.admitted && !held) await this.armFor(now + START_GRACE_MS);
    return decision.reply;
  }

  /** The run ended (its `run.ended` notice, or a start that never happened): its slot is free. Idempotent. */
  async release(input: { run_id: string; index?: RunIndexRow }): Promise<{ released: boolean }> {
    const { run_id, index } = ReleaseInput.parse(input);
    const released = this.sql.exec("DELETE FROM slots WHERE run_id = ?", run_id).rowsWritten > 0;
    if (index !== undefined) await this.stage(index);
    return { released };
  }

  /** A run's status changed: its index row is written to D1 with the others within INDEX_FLUSH_MS. */
  async index(input: RunIndexRow): Promise<{ staged: boolean }> {
    return { staged: await this.stage(IndexRow.parse(input)) };
  }

  /** Writes every staged index row to D1 now (after a write under way); returns how many it wrote. */
  async flushIndex(): Promise<{ written: number }> {
    while (this.flushing !== null) await this.flushing.catch(() => 0);
    this.flushing = this.writeStaged().finally(() => {
      this.flushing = null;
    });
    return { written: await this.flushing };
  }

  /** Keeps the row unless a newer one for its run is staged; the write follows within INDEX_FLUSH_MS. */
  private async stage(row: RunIndexRow): Promise<boolean> {
    const staged =
      this.sql.exec(
        `INSERT INTO index_rows (run_id, version, updated_at, json) VALUES (?, 1, ?, ?)
         ON CONFLICT(run_id) DO UPDATE SET version = version + 1, updated_at = excluded.updated_at, json = excluded.json
         WHERE excluded.updated_at >= index_rows.updated_at`,
        row.run_id,
        row.updated_at,
        JSON.stringify(row),
      ).rowsWritten > 0;
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      this.flushIndex().catch((error: unknown) => {
        console.warn(JSON.stringify({ level: "warn", msg: "run index write failed; the alarm retries", error: String(error) }));
      });
    }, INDEX_FLUSH_MS);
    await this.armFor(Date.now() + INDEX_BACKSTOP_MS);
    return staged;
  }

  /** The staged rows, a batch per D1 request; a row staged again meanwhile (a newer version) stays. */
  private async writeStaged(): Promise<number> {
    let written = 0;
    for (;;) {
      const rows = this.sql
        .exec<{ run_id: string; version: number; json: string }>("SELECT run_id, version, json FROM index_rows ORDER BY rowid LIMIT ?", INDEX_BATCH)
        .toArray();
      if (rows.length === 0) return written;
      await upsertRuns(this.env.DB, rows.map((row) => JSON.parse(row.json) as RunIndexRow));
      // One statement (two parameters a row: INDEX_BATCH stays within SQLite's 100).
      this.sql.exec(
        `DELETE FROM index_rows WHERE (run_id, version) IN (VALUES ${rows.map(() => "(?, ?)").join(", ")})`,
        ...rows.flatMap((row) => [row.run_id, row.version]),
      );
      written += rows.length;
      if (rows.length < INDEX_BATCH) return written;
    }
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
    let unwritten = false;
    try {
      await this.flushIndex();
    } catch (error) {
      unwritten = true;
      console.warn(JSON.stringify({ level: "warn", msg: "run index write failed; will retry", error: String(error) }));
    }
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
    const check = this.sql.exec<{ at: number | null }>("SELECT MIN(check_at) AS at FROM slots").toArray()[0]?.at ?? null;
    const next = unwritten ? Math.min(check ?? Infinity, Date.now() + INDEX_BACKSTOP_MS) : check;
    // This alarm is spent: the next one is armed here, or none.
    this.alarmAt = null;
    if (next !== null) await this.armFor(Math.max(next, Date.now() + 1));
  }

  private async runStatus(tenantId: string, runId: string): Promise<{ status: string } | null> {
    const stub = objectForRun(this.env.RUN_OBJECT, tenantId, runId);
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

  /** Read once, then kept: this object is the only writer of its kv rows. */
  private get(key: string): string | null {
    let value = this.kvCache.get(key);
    if (value === undefined) {
      value = this.sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = ?", key).toArray()[0]?.value ?? null;
      this.kvCache.set(key, value);
    }
    return value;
  }

  /** Writes the row and keeps the copy (a transaction that rolls back clears the copies). */
  private put(key: string, value: string): void {
    this.sql.exec("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
    this.kvCache.set(key, value);
  }
}
