/**
 * CallLedger: one Durable Object per run (named like the run's object) that makes the executor
 * idempotent on `request_id`. A request is claimed before its call (with a lease, so a redelivery
 * while it runs waits instead of calling twice), its outcome is persisted before it is delivered
 * (first outcome wins), and a redelivery of a finished request redelivers the stored outcome.
 * Its rows also count the run's distinct requests for the per-run call limit.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { ErrorInfo } from "../engine/events";
import { DeliveryStatus, ToolOutcome } from "../engine/tools";
import type { ToolsEnv } from "./env";

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
  outcome: ToolOutcome | null;
  last_error: ErrorInfo | null;
  deliveries: { status: DeliveryStatus; at: number }[];
}

const Row = z.object({
  request_id: z.string(),
  tool: z.string(),
  ordinal: z.number(),
  attempts: z.number(),
  lease_until: z.number(),
  outcome: z.string().nullable(),
  last_error: z.string().nullable(),
});
type Row = z.infer<typeof Row>;
const Delivery = z.object({ status: DeliveryStatus, at: z.number() });

const parseOutcome = (text: string): ToolOutcome => ToolOutcome.parse(JSON.parse(text));

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

export class CallLedger extends DurableObject<ToolsEnv> {
  constructor(ctx: DurableObjectState, env: ToolsEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS requests (
      request_id TEXT PRIMARY KEY,
      tool TEXT NOT NULL,
      ordinal INTEGER NOT NULL,
      attempts INTEGER NOT NULL,
      lease_until INTEGER NOT NULL,
      outcome TEXT,
      last_error TEXT
    )`);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS deliveries (
      request_id TEXT NOT NULL,
      status TEXT NOT NULL,
      at INTEGER NOT NULL
    )`);
  }

  private row(requestId: string): Row | null {
    const rows = this.ctx.storage.sql.exec("SELECT * FROM requests WHERE request_id = ?", requestId).toArray();
    return rows[0] ? Row.parse(rows[0]) : null;
  }

  /** Claims the request for `leaseMs` (synchronous SQL in one call: atomic within the object). */
  async claim(requestId: string, tool: string, nowMs: number, leaseMs: number): Promise<Claim> {
    const sql = this.ctx.storage.sql;
    const row = this.row(requestId);
    const count = row ? 0 : Number(sql.exec("SELECT COUNT(*) AS n FROM requests").one().n);
    const claim = decideClaim(row, count, nowMs);
    if (claim.kind !== "claimed") return claim;
    if (row) sql.exec("UPDATE requests SET attempts = ?, lease_until = ? WHERE request_id = ?", claim.attempt, nowMs + leaseMs, requestId);
    else {
      sql.exec(
        "INSERT INTO requests (request_id, tool, ordinal, attempts, lease_until) VALUES (?, ?, ?, 1, ?)",
        requestId,
        tool,
        claim.ordinal,
        nowMs + leaseMs,
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
   * Works without a prior claim (the dead-letter consumer ends requests that never got one).
   */
  async finish(requestId: string, tool: string, outcome: ToolOutcome): Promise<ToolOutcome> {
    const sql = this.ctx.storage.sql;
    const row = this.row(requestId);
    if (row?.outcome) return parseOutcome(row.outcome);
    const text = JSON.stringify(ToolOutcome.parse(outcome));
    if (row) sql.exec("UPDATE requests SET outcome = ? WHERE request_id = ?", text, requestId);
    else {
      const ordinal = Number(sql.exec("SELECT COUNT(*) AS n FROM requests").one().n) + 1;
      sql.exec(
        "INSERT INTO requests (request_id, tool, ordinal, attempts, lease_until, outcome) VALUES (?, ?, ?, 0, 0, ?)",
        requestId,
        tool,
        ordinal,
        text,
      );
    }
    return outcome;
  }

  async recordDelivery(requestId: string, status: DeliveryStatus, nowMs: number): Promise<void> {
    this.ctx.storage.sql.exec("INSERT INTO deliveries (request_id, status, at) VALUES (?, ?, ?)", requestId, status, nowMs);
  }

  /** What the executor knows about one request (for operators and tests). */
  async inspect(requestId: string): Promise<LedgerRecord | null> {
    const row = this.row(requestId);
    if (!row) return null;
    const deliveries = this.ctx.storage.sql
      .exec("SELECT status, at FROM deliveries WHERE request_id = ? ORDER BY rowid", requestId)
      .toArray()
      .map((d) => Delivery.parse(d));
    return {
      request_id: row.request_id,
      tool: row.tool,
      ordinal: row.ordinal,
      attempts: row.attempts,
      outcome: row.outcome ? parseOutcome(row.outcome) : null,
      last_error: row.last_error ? ErrorInfo.parse(JSON.parse(row.last_error)) : null,
      deliveries,
    };
  }
}
