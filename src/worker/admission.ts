/**
 * Admission of a new run, as the routes that create runs call it (`POST /runs`, and `POST
 * /threads/{id}/runs`, which counts the same way): one RPC to the tenant's TenantObject. Refused,
 * it throws `429 rate_limited` with `Retry-After` in whole seconds (at least 1), before anything
 * is created. The run then holds a slot until it ends (its `run.ended` notice releases it); a caller
 * whose start fails after admission may release the slot at once with `releaseAdmission`
 * (reconciliation would, a minute later).
 */
import { apiSettings } from "../adapters/api-settings";
import { ApiError } from "./errors";

export async function admitRun(env: Env, tenantId: string, runId: string): Promise<void> {
  const reply = await env.TENANT_OBJECT.getByName(tenantId).admit({ tenant_id: tenantId, run_id: runId, limits: apiSettings(env).admission });
  if (reply.admitted) return;
  const retryAfter = String(Math.max(1, Math.ceil(reply.retry_after_s)));
  const why =
    reply.reason === "active"
      ? `this tenant already has ${reply.active} runs that have not ended (the limit is MAX_ACTIVE_RUNS)`
      : "this tenant is starting runs faster than its limit allows (RATE_LIMIT_RUNS_PER_MIN)";
  throw new ApiError("rate_limited", `${why}; retry after ${retryAfter} s`, undefined, { "retry-after": retryAfter });
}

export async function releaseAdmission(env: Env, tenantId: string, runId: string): Promise<void> {
  await env.TENANT_OBJECT.getByName(tenantId).release({ run_id: runId });
}
