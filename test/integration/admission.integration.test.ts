/**
 * Admission per tenant through the real api worker and the real TenantObject (CONTRACT.md POST
 * /runs): concurrent bursts never admit more than MAX_ACTIVE_RUNS, the token bucket refuses with a
 * Retry-After in whole seconds, nothing is created when a request is refused, an idempotent retry
 * is answered and not counted, and the count heals when runs end, are cancelled, crash and recover,
 * or never start at all (reconciliation). Each test has a tenant of its own and its own limits.
 */
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { START_GRACE_MS } from "../../src/engine/admission";
import type { TenantObject } from "../../src/durable-objects/tenant-object";
import worker from "../../src/worker/index";
import { BASE, waitFor } from "../support/api";
import { crash } from "../support/crash";
import { runStub } from "../support/runs";

let tenants = 0;

/** A fresh tenant with one key, and a client of the worker with these limits. */
function tenant(limits: { perMinute: number; active: number }) {
  const id = `adm-${Date.now().toString(36)}-${tenants++}`;
  const key = `key-${id}`;
  const scoped = {
    ...env,
    API_KEYS: JSON.stringify({ [key]: { tenant_id: id, user_id: "ann", scopes: ["runs:read", "runs:write"] } }),
    RATE_LIMIT_RUNS_PER_MIN: String(limits.perMinute),
    MAX_ACTIVE_RUNS: String(limits.active),
  } as Env;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const ctx = createExecutionContext();
    const init: RequestInit = { method, headers: { authorization: `Bearer ${key}`, ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
    const response = await worker.fetch(new Request(`${BASE}${path}`, init) as Request<unknown, IncomingRequestCfProperties>, scoped, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
  const object = () => env.TENANT_OBJECT.getByName(id);
  return {
    id,
    call,
    object,
    counters: () => object().counters(),
    start: (message: string, headers: Record<string, string> = {}) => call("POST", "/runs", { message }, headers),
  };
}

/** A message that makes a run wait for an approval (notes.save under `auto`): it stays active. */
const WAITING = "remember: the admission test is running";

async function status(t: ReturnType<typeof tenant>, runId: string): Promise<string> {
  const response = await t.call("GET", `/runs/${runId}/state`);
  return ((await response.json()) as { status: string }).status;
}

describe("admission of new runs per tenant", () => {
  it("never admits more than MAX_ACTIVE_RUNS from a concurrent burst, and refuses the rest creating nothing", async () => {
    const t = tenant({ perMinute: 1000, active: 5 });
    const responses = await Promise.all(Array.from({ length: 14 }, (_, i) => t.start(`${WAITING} ${i}`)));
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 429);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(9);
    for (const response of refused) {
      const retryAfter = response.headers.get("retry-after");
      expect(retryAfter).toMatch(/^[1-9]\d*$/);
      const body = (await response.json()) as { error: { code: string; message: string }; run_id?: string };
      expect(body.error.code).toBe("rate_limited");
      expect(body.run_id).toBeUndefined();
    }
    const health = (await (await t.call("GET", "/healthz")).json()) as { limits: Record<string, number> };
    expect(health.limits).toMatchObject({ max_active_runs: 5, rate_limit_runs_per_min: 1000 });
    const ids = await Promise.all(created.map(async (r) => ((await r.json()) as { run_id: string }).run_id));
    const counters = await t.counters();
    expect(counters.active).toBe(5);
    expect([...counters.run_ids].sort()).toEqual([...ids].sort());
    // Nothing else exists for the tenant: its index lists exactly the admitted runs.
    const listed = await waitFor(async () => {
      const page = (await (await t.call("GET", "/runs?limit=50")).json()) as { runs: { run_id: string }[] };
      return page.runs.length === 5 ? page.runs : undefined;
    }, "the index to list the admitted runs");
    expect(listed.map((r) => r.run_id).sort()).toEqual([...ids].sort());
  });

  it("heals when a run is cancelled and when a run ends", async () => {
    const t = tenant({ perMinute: 1000, active: 2 });
    const a = (await (await t.start(WAITING)).json()) as { run_id: string };
    const b = (await (await t.start(`${WAITING} again`)).json()) as { run_id: string };
    expect((await t.start("one more")).status).toBe(429);

    expect((await t.call("POST", `/runs/${a.run_id}/cancel`)).status).toBe(202);
    await waitFor(async () => ((await t.counters()).active === 1 ? true : undefined), "the cancelled run's slot to be released");
    const c = await t.start("Hello after a cancel");
    expect(c.status).toBe(201);
    const cId = ((await c.json()) as { run_id: string }).run_id;

    // The run waiting for approval ends when it is rejected; the plain run ends on its own.
    const state = (await (await t.call("GET", `/runs/${b.run_id}/state`)).json()) as { tool_requests: { request_id: string }[] };
    await t.call("POST", `/runs/${b.run_id}/approval`, { request_id: state.tool_requests[0]!.request_id, decision: "reject" });
    await waitFor(async () => ((await status(t, b.run_id)) === "completed" && (await status(t, cId)) === "completed" ? true : undefined), "both runs to end");
    await waitFor(async () => ((await t.counters()).active === 0 ? true : undefined), "every slot to be released");
  });

  it("refuses past RATE_LIMIT_RUNS_PER_MIN with a Retry-After that says when a token is back", async () => {
    const t = tenant({ perMinute: 3, active: 100 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const response = await t.start(`Hello number ${i}`);
      statuses.push(response.status);
      if (response.status === 429) retryAfter ??= response.headers.get("retry-after");
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    // Three a minute: one token every 20 s.
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(19);
    expect(Number(retryAfter)).toBeLessThanOrEqual(20);
  });

  it("answers an idempotent retry as before, without counting it, even at the limit", async () => {
    const t = tenant({ perMinute: 2, active: 1 });
    const first = await t.start(WAITING, { "idempotency-key": "order-1" });
    expect(first.status).toBe(201);
    const { run_id } = (await first.json()) as { run_id: string };
    const before = await t.counters();
    for (let i = 0; i < 3; i++) {
      const again = await t.start(WAITING, { "idempotency-key": "order-1" });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { run_id: string }).run_id).toBe(run_id);
    }
    expect(await t.counters()).toEqual(before);
    expect((await t.start("another run")).status).toBe(429);
    // A new key is a new run, and is counted.
    expect((await t.start(WAITING, { "idempotency-key": "order-2" })).status).toBe(429);
  });

  it("frees the slot of a run that crashed and recovered, once it ends", async () => {
    const t = tenant({ perMinute: 1000, active: 1 });
    const { run_id } = (await (await t.start("Hello through a crash")).json()) as { run_id: string };
    await crash(runStub(run_id, t.id), t.object());
    await waitFor(async () => {
      try {
        return (await status(t, run_id)) === "completed" ? true : undefined;
      } catch {
        return undefined;
      }
    }, "the run to finish after the crash");
    await waitFor(async () => ((await t.counters()).active === 0 ? true : undefined), "the slot to be released");
    expect((await t.start("the next one")).status).toBe(201);
  });

  it("releases, by reconciliation, a slot whose run never started, and keeps one whose run is still going", async () => {
    const t = tenant({ perMinute: 1000, active: 3 });
    const live = (await (await t.start(WAITING)).json()) as { run_id: string };
    // A worker that died between admission and start: the slot exists, no run ever will.
    const ghost = "run_01JGHOSTRVN000000000000000";
    expect(await t.object().admit({ tenant_id: t.id, run_id: ghost, limits: { runsPerMinute: 1000, maxActiveRuns: 3 } })).toMatchObject({ admitted: true });
    expect((await t.counters()).active).toBe(2);
    // Let the start grace pass for both slots (storage is the object's own; only time is moved).
    await runInDurableObject(t.object(), (o: TenantObject, state) => {
      state.storage.sql.exec("UPDATE slots SET admitted_at = admitted_at - ?, check_at = 0", START_GRACE_MS + 1000);
    });
    expect(await runDurableObjectAlarm(t.object())).toBe(true);
    const after = await t.counters();
    expect(after.run_ids).toEqual([live.run_id]);
  });
});
