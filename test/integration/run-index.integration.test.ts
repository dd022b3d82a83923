/**
 * The run index (`GET /runs`) through the real TenantObject and local D1: a run's rows reach its
 * tenant from the run's outbox (the last one with its `run.ended` notice), are staged there and
 * written to D1 in batches. These prove what a client relies on: a listing shows every row the
 * tenant holds (it flushes first), a newer status is never replaced by an older one, rows beyond
 * one batch are all written, and rows staged by an instance that died are written by the alarm.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { TenantObject } from "../../src/durable-objects/tenant-object";
import type { RunIndexRow } from "../../src/engine/journal";
import { getJson, startRun, waitFor, waitForStatus } from "../support/api";
import { crash } from "../support/crash";

let tenants = 0;
const freshTenant = () => `idx-${Date.now().toString(36)}-${tenants++}`;

function row(tenant: string, n: number, status: string, at: string): RunIndexRow {
  return {
    tenant_id: tenant,
    run_id: `run_01JINDEX${String(n).padStart(17, "0")}`,
    status,
    created_at: "2026-11-29T10:00:00.000Z",
    updated_at: at,
    message_preview: `message ${n}`,
  };
}

async function d1Rows(tenant: string): Promise<{ run_id: string; status: string }[]> {
  const { results } = await env.DB.prepare("SELECT run_id, status FROM runs WHERE tenant_id = ? ORDER BY run_id").bind(tenant).all<{ run_id: string; status: string }>();
  return results;
}

async function staged(tenant: string): Promise<number> {
  return runInDurableObject(env.TENANT_OBJECT.getByName(tenant), (_o: TenantObject, state) => {
    return state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM index_rows").one().n;
  });
}

describe("the run index, written by each tenant in batches", () => {
  it("lists a run that just ended with its final status (GET /runs flushes what the tenant holds)", async () => {
    // Dev mode: tenant "dev". Once the tenant has the run's end notice (its slot is free), one
    // listing shows it, before the tenant's own write timer has fired.
    const runId = await startRun({ message: "index me right away" });
    await waitForStatus(runId, ["completed"]);
    const tenant = env.TENANT_OBJECT.getByName("dev");
    await waitFor(async () => ((await tenant.counters()).run_ids.includes(runId) ? undefined : true), "the run's end notice at its tenant");
    const { runs } = await getJson<{ runs: { run_id: string; status: string }[] }>("/runs?limit=100");
    expect(runs.find((r) => r.run_id === runId)).toMatchObject({ run_id: runId, status: "completed", message_preview: "index me right away" });
  });

  it("never lets an older status replace a newer one, staged or written", async () => {
    const tenant = freshTenant();
    const stub = env.TENANT_OBJECT.getByName(tenant);
    expect(await stub.index(row(tenant, 1, "completed", "2026-11-29T10:00:02.000Z"))).toEqual({ staged: true });
    expect(await stub.index(row(tenant, 1, "running", "2026-11-29T10:00:01.000Z"))).toEqual({ staged: false });
    expect(await stub.flushIndex()).toEqual({ written: 1 });
    expect(await d1Rows(tenant)).toEqual([{ run_id: row(tenant, 1, "", "").run_id, status: "completed" }]);
    // Written, then an older row arrives late (a retried sync): D1 keeps the newer one.
    await stub.index(row(tenant, 1, "waiting", "2026-11-29T10:00:01.500Z"));
    expect(await stub.flushIndex()).toEqual({ written: 1 });
    expect(await d1Rows(tenant)).toEqual([{ run_id: row(tenant, 1, "", "").run_id, status: "completed" }]);
    expect(await staged(tenant)).toBe(0);
  });

  it("writes every staged row, over several batches, and the run's final row comes with its release", async () => {
    const tenant = freshTenant();
    const stub = env.TENANT_OBJECT.getByName(tenant);
    await Promise.all(Array.from({ length: 120 }, (_, n) => stub.index(row(tenant, n, "running", "2026-11-29T10:00:01.000Z"))));
    await stub.release({ run_id: row(tenant, 7, "", "").run_id, index: row(tenant, 7, "completed", "2026-11-29T10:00:02.000Z") });
    const { written } = await stub.flushIndex();
    // The write timer (INDEX_FLUSH_MS) may have written some of them already; together, all 120.
    const rows = await d1Rows(tenant);
    expect(written).toBeLessThanOrEqual(120);
    expect(rows).toHaveLength(120);
    expect(rows.filter((r) => r.status === "completed").map((r) => r.run_id)).toEqual([row(tenant, 7, "", "").run_id]);
    expect(await staged(tenant)).toBe(0);
  });

  it("writes, from the alarm, rows an instance staged and died with", async () => {
    const tenant = freshTenant();
    const stub = env.TENANT_OBJECT.getByName(tenant);
    await stub.index(row(tenant, 1, "waiting", "2026-11-29T10:00:01.000Z"));
    // The instance (and its write timer) is gone; the row is in its storage.
    await crash(stub);
    const fresh = env.TENANT_OBJECT.getByName(tenant);
    expect(await staged(tenant)).toBe(1);
    expect(await d1Rows(tenant)).toEqual([]);
    expect(await runDurableObjectAlarm(fresh)).toBe(true);
    expect(await d1Rows(tenant)).toEqual([{ run_id: row(tenant, 1, "", "").run_id, status: "waiting" }]);
    expect(await staged(tenant)).toBe(0);
  });
});
