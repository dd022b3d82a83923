/**
 * CallLedger: one Durable Object per run (named like the run's object) that makes the executor
 * idempotent on `request_id` and its outcomes durable.
 *
 * - A request is claimed before its call, with a lease: a redelivery while it runs waits instead of
 *   calling twice, and a lease that ran out without an outcome means the attempt died mid-call.
 * - Its outcome is persisted before it is delivered (first outcome wins), and a redelivered or
 *   re-sent message of a finished request redelivers the stored outcome.
 * - An outcome stays owned by the ledger until the run acknowledges it (any answer of
 *   `deliverToolResult`: recorded, duplicate, late or unknown). The handler delivers it at once;
 *   if that delivery is lost (the process dies between recording and delivering, or the run object
 *   cannot be reached), the ledger's alarm delivers it again, with backoff, independent of the
 *   Queue (a local Queue loses its messages on SIGKILL; a production one can still be acked by an
 *   attempt that died before delivering).
 * - Its rows count the run's distinct requests for the per-run call limit.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { ErrorInfo } from "../engine/events";
import { DeliveryStatus, ToolOutcome } from "../engine/tool-protocol";
import type { ToolsEnv } from "./env";
import { deliverToRun } from "./run-delivery";
import { settingsOf } from "./wiring";

/** Who delivered: the Queue handler right after the call, or the ledger's alarm after a lost delivery. */
export type DeliveryVia = "queue" | "ledger";

/** Which request, of which run: what the ledger needs to deliver an outcome by itself. */
export interface RequestIds {
  request_id: string;
  tenant_id: string;
  run_id: string;
  tool: string;
}

export type Claim =
  /** This attempt owns the request. `rerun`: an earlier attempt claimed it and vanished without an outcome. */
  | { kind: "claimed"; ordinal: number; attempt: number; rerun: boolean }
  /** The request already has an outcome: deliver that one. */
  | { kind: "done"; outcome: ToolOutcome }
  /** Another attempt holds the request right now: come back later. */
  | { kind: "busy"; retryAfterMs: number };

export interface LedgerRecord {
  request_id: string;
  tool: string;
  ordinal: number;
  attempts: number;
  /** Until when the current attempt holds the request (0: given back; past: the attempt died). */
  lease_until: number;
  outcome: ToolOutcome | null;
  last_error: ErrorInfo | null;
  /** When the run acknowledged the outcome (null: not yet, so the ledger still redelivers it). */
  acknowledged_at: number | null;
  /** When the ledger's alarm delivers it next (null: nothing left to deliver). */
  next_delivery_at: number | null;
  /** Deliveries by the ledger's alarm that got no answer. */
  failed_deliveries: number;
  deliveries: { status: DeliveryStatus; at: number; via: DeliveryVia }[];
}

const Row = z.object({
  request_id: z.string(),
  tool: z.string(),
  ordinal: z.number(),
  attempts: z.number(),
  lease_until: z.number(),
  outcome: z.string().nullable(),
  last_error: z.string().nullable(),
  tenant_id: z.string().nullable(),
  run_id: z.string().nullable(),
  outcome_at: z.number().nullable(),
  acknowledged_at: z.number().nullable(),
  next_delivery_at: z.number().nullable(),
  failed_deliveries: z.number(),
});
type Row = z.infer<typeof Row>;
const Delivery = z.object({ status: DeliveryStatus, at: z.number(), via: z.enum(["queue", "ledger"]) });

const parseOutcome = (text: string): ToolOutcome => ToolOutcome.parse(JSON.parse(text));

/** After this long without an acknowledgement the ledger stops redelivering (and says so in the log). */
export const REDELIVERY_HORIZON_MS = 24 * 60 * 60 * 1000;

/**
 * The claim rule, over the request's row (null: never seen) and the run's count of requests.
 * A held lease means another attempt is running; a lease that ran out without an outcome means an
 * attempt died mid-call (`rerun`), unless it was given back by `release` (lease 0).
 */
export function decideClaim(
  row: Pick<Row, "ordinal" | "attempts" | "lease_until" | "outcome"> | null,
  requestsInRun: number,
  nowMs: number,
): Claim {
  if (!row) return { kind: "claimed", ordinal: requestsInRun + 1, attempt: 1, rerun: false };
  if (row.outcome !== null) return { kind: "done", outcome: parseOutcome(row.outcome) };
  if (row.lease_until > nowMs) return { kind: "busy", retryAfterMs: row.lease_until - nowMs };
  return { kind: "claimed", ordinal: row.ordinal, attempt: row.attempts + 1, rerun: row.lease_until !== 0 };
}

/** The error of a request fenced at its run's deadline before any attempt ran it: it never will. */
export const TOOL_NOT_RUN = "tool_not_run";

/**
 * What the ledger answers a run whose deadline for a request has passed (see `settle`):
 * - `outcome`: the request's outcome (a recorded one, or the fence that stops it from ever running);
 * - `open`: no outcome can be given: an attempt holds the request now, or one died mid-call.
 */
export type Settlement = { kind: "outcome"; outcome: ToolOutcome } | { kind: "open"; reason: "running" | "died_mid_call" };

/**
 * The settlement rule, over the request's row (null: never seen). A request no attempt has claimed,
 * or that was given back after a transient failure, is fenced with `tool_not_run`: the fence is its
 * outcome, so an attempt that claims it later finds it done and runs nothing. A request an attempt
 * holds, or one whose attempt died mid-call, stays open: its effect may have happened.
 */
export function decideSettlement(
  row: Pick<Row, "lease_until" | "outcome" | "last_error"> | null,
  requestId: string,
  nowMs: number,
): Settlement | { kind: "fence"; outcome: ToolOutcome } {
  if (row?.outcome) return { kind: "outcome", outcome: parseOutcome(row.outcome) };
  if (row && row.lease_until > nowMs) return { kind: "open", reason: "running" };
  if (row && row.lease_until !== 0) return { kind: "open", reason: "died_mid_call" };
  const earlier = row?.last_error ? ` (its last attempt failed: ${ErrorInfo.parse(JSON.parse(row.last_error)).message})` : "";
  return {
    kind: "fence",
    outcome: {
      request_id: requestId,
      status: "failed",
      error: { code: TOOL_NOT_RUN, message: `the call was not run before the run's deadline${earlier}, and now never will be` },
      retryable: false,
    },
  };
}

/** The wait before the ledger's next delivery, after `failed` deliveries that got no answer. */
export function redeliveryDelayMs(failed: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(failed, 30));
}

/** Columns added after the first release; a ledger created before them gains them on start. */
const ADDED_COLUMNS: Record<string, Record<string, string>> = {
  requests: {
    tenant_id: "TEXT",
    run_id: "TEXT",
    outcome_at: "INTEGER",
    acknowledged_at: "INTEGER",
    next_delivery_at: "INTEGER",
    failed_deliveries: "INTEGER NOT NULL DEFAULT 0",
  },
  deliveries: { via: "TEXT NOT NULL DEFAULT 'queue'" },
};

export class CallLedger extends DurableObject<ToolsEnv> {
  constructor(ctx: DurableObjectState, env: ToolsEnv) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS requests (
      request_id TEXT PRIMARY KEY,
      tool TEXT NOT NULL,
      ordinal INTEGER NOT NULL,
      attempts INTEGER NOT NULL,
      lease_until INTEGER NOT NULL,
      outcome TEXT,
      last_error TEXT
    )`);
    sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (
      request_id TEXT NOT NULL,
      status TEXT NOT NULL,
      at INTEGER NOT NULL
    )`);
    for (const [table, columns] of Object.entries(ADDED_COLUMNS)) {
      const present = new Set(sql.exec(`PRAGMA table_info(${table})`).toArray().map((column) => String(column.name)));
      for (const [name, type] of Object.entries(columns)) if (!present.has(name)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
    }
  }

  private row(requestId: string): Row | null {
    const rows = this.ctx.storage.sql.exec("SELECT * FROM requests WHERE request_id = ?", requestId).toArray();
    return rows[0] ? Row.parse(rows[0]) : null;
  }

  private requestCount(): number {
    return Number(this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM requests").one().n);
  }

  /** Claims the request for `leaseMs` (synchronous SQL in one call: atomic within the object). */
  async claim(ids: RequestIds, nowMs: number, leaseMs: number): Promise<Claim> {
    const sql = this.ctx.storage.sql;
    const row = this.row(ids.request_id);
    const claim = decideClaim(row, row ? 0 : this.requestCount(), nowMs);
    if (claim.kind !== "claimed") return claim;
    if (row) sql.exec("UPDATE requests SET attempts = ?, lease_until = ? WHERE request_id = ?", claim.attempt, nowMs + leaseMs, ids.request_id);
    else {
      sql.exec(
        "INSERT INTO requests (request_id, tool, ordinal, attempts, lease_until, tenant_id, run_id) VALUES (?, ?, ?, 1, ?, ?, ?)",
        ids.request_id,
        ids.tool,
        claim.ordinal,
        nowMs + leaseMs,
        ids.tenant_id,
        ids.run_id,
      );
    }
    return claim;
  }

  /** Gives the claim back after a transient failure, so that the Queue's retry can claim it at once. */
  async release(requestId: string, error: ErrorInfo): Promise<void> {
    this.ctx.storage.sql.exec(
      "UPDATE requests SET lease_until = 0, last_error = ? WHERE request_id = ? AND outcome IS NULL",
      JSON.stringify(error),
      requestId,
    );
  }

  /**
   * Persists the request's outcome unless it already has one, and returns the one that stands.
   * A new outcome is owned by the ledger until the run acknowledges it: its redelivery is
   * scheduled now, in the same storage write, and cancelled by `recordDelivery`. Works without a
   * prior claim (the dead-letter consumer ends requests that never got one).
   */
  async finish(ids: RequestIds, outcome: ToolOutcome, nowMs: number): Promise<ToolOutcome> {
    const sql = this.ctx.storage.sql;
    const row = this.row(ids.request_id);
    if (row?.outcome) return parseOutcome(row.outcome);
    const text = JSON.stringify(ToolOutcome.parse(outcome));
    const { settings } = settingsOf(this.env);
    const next = nowMs + settings.redeliveryBaseMs;
    if (row) {
      sql.exec(
        "UPDATE requests SET outcome = ?, outcome_at = ?, next_delivery_at = ?, tenant_id = ?, run_id = ? WHERE request_id = ?",
        text,
        nowMs,
        next,
        ids.tenant_id,
        ids.run_id,
        ids.request_id,
      );
    } else {
      sql.exec(
        `INSERT INTO requests (request_id, tool, ordinal, attempts, lease_until, outcome, tenant_id, run_id, outcome_at, next_delivery_at)
         VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?, ?)`,
        ids.request_id,
        ids.tool,
        this.requestCount() + 1,
        text,
        ids.tenant_id,
        ids.run_id,
        nowMs,
        next,
      );
    }
    await this.armAlarm();
    return outcome;
  }

  /**
   * The run's deadline for the request passed without an outcome: settles it if it can, in one
   * synchronous step (atomic with `claim`). A fenced request's outcome is the run's to record, so
   * the ledger does not deliver it; a recorded one is still delivered until the run acknowledges it.
   */
  async settle(ids: RequestIds, nowMs: number): Promise<Settlement> {
    const row = this.row(ids.request_id);
    const decision = decideSettlement(row, ids.request_id, nowMs);
    if (decision.kind !== "fence") return decision;
    const text = JSON.stringify(decision.outcome);
    if (row) {
      this.ctx.storage.sql.exec(
        "UPDATE requests SET outcome = ?, outcome_at = ?, acknowledged_at = ?, tenant_id = ?, run_id = ? WHERE request_id = ?",
        text,
        nowMs,
        nowMs,
        ids.tenant_id,
        ids.run_id,
        ids.request_id,
      );
    } else {
      this.ctx.storage.sql.exec(
        `INSERT INTO requests (request_id, tool, ordinal, attempts, lease_until, outcome, tenant_id, run_id, outcome_at, acknowledged_at)
         VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?, ?)`,
        ids.request_id,
        ids.tool,
        this.requestCount() + 1,
        text,
        ids.tenant_id,
        ids.run_id,
        nowMs,
        nowMs,
      );
    }
    return { kind: "outcome", outcome: decision.outcome };
  }

  /** The run answered a delivery: that is its acknowledgement, so the ledger stops redelivering. */
  async recordDelivery(requestId: string, status: DeliveryStatus, nowMs: number, via: DeliveryVia = "queue"): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("INSERT INTO deliveries (request_id, status, at, via) VALUES (?, ?, ?, ?)", requestId, status, nowMs, via);
    sql.exec(
      "UPDATE requests SET acknowledged_at = COALESCE(acknowledged_at, ?), next_delivery_at = NULL WHERE request_id = ?",
      nowMs,
      requestId,
    );
    await this.armAlarm();
  }

  /** Arms the alarm for the earliest pending redelivery, or clears it when none is left. */
  private async armAlarm(): Promise<void> {
    const earliest = this.ctx.storage.sql.exec("SELECT MIN(next_delivery_at) AS at FROM requests WHERE next_delivery_at IS NOT NULL").one().at;
    if (earliest === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(Number(earliest), Date.now() + 1));
  }

  /**
   * Delivers every outcome whose redelivery is due. An answer (any status) acknowledges it; no
   * answer schedules the next try with backoff, until the horizon. Safe to run twice: the run
   * object is idempotent on request_id.
   */
  override async alarm(): Promise<void> {
    const { settings, logger } = settingsOf(this.env);
    const now = Date.now();
    const due = this.ctx.storage.sql
      .exec("SELECT * FROM requests WHERE next_delivery_at IS NOT NULL AND next_delivery_at <= ? ORDER BY next_delivery_at", now)
      .toArray()
      .map((row) => Row.parse(row));
    for (const row of due) {
      const log = logger.child({ request_id: row.request_id, tenant_id: row.tenant_id, run_id: row.run_id, tool: row.tool });
      if (row.outcome === null || row.tenant_id === null || row.run_id === null) {
        this.ctx.storage.sql.exec("UPDATE requests SET next_delivery_at = NULL WHERE request_id = ?", row.request_id);
        continue;
      }
      try {
        const answer = await deliverToRun(this.env.RUN_OBJECT, row.tenant_id, row.run_id, parseOutcome(row.outcome));
        await this.recordDelivery(row.request_id, answer.status, Date.now(), "ledger");
        log.log("info", "tool.redelivered", { delivery: answer.status, failed_deliveries: row.failed_deliveries });
      } catch (error) {
        const failed = row.failed_deliveries + 1;
        const message = error instanceof Error ? error.message : String(error);
        if (Date.now() - (row.outcome_at ?? now) > REDELIVERY_HORIZON_MS) {
          this.ctx.storage.sql.exec("UPDATE requests SET failed_deliveries = ?, next_delivery_at = NULL WHERE request_id = ?", failed, row.request_id);
          log.log("error", "tool.redelivery_abandoned", { failed_deliveries: failed, error: message });
          continue;
        }
        const next = Date.now() + redeliveryDelayMs(failed, settings.redeliveryBaseMs, settings.redeliveryMaxMs);
        this.ctx.storage.sql.exec("UPDATE requests SET failed_deliveries = ?, next_delivery_at = ? WHERE request_id = ?", failed, next, row.request_id);
        log.log("warn", "tool.redelivery_failed", { failed_deliveries: failed, next_at: new Date(next).toISOString(), error: message });
      }
    }
    await this.armAlarm();
  }

  /** What the executor knows about one request (for operators and tests). */
  async inspect(requestId: string): Promise<LedgerRecord | null> {
    const row = this.row(requestId);
    if (!row) return null;
    const deliveries = this.ctx.storage.sql
      .exec("SELECT status, at, via FROM deliveries WHERE request_id = ? ORDER BY rowid", requestId)
      .toArray()
      .map((d) => Delivery.parse(d));
    return {
      request_id: row.request_id,
      tool: row.tool,
      ordinal: row.ordinal,
      attempts: row.attempts,
      lease_until: row.lease_until,
      outcome: row.outcome ? parseOutcome(row.outcome) : null,
      last_error: row.last_error ? ErrorInfo.parse(JSON.parse(row.last_error)) : null,
      acknowledged_at: row.acknowledged_at,
      next_delivery_at: row.next_delivery_at,
      failed_deliveries: row.failed_deliveries,
      deliveries,
    };
  }
}
