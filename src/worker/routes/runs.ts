/**
 * The run endpoints of CONTRACT.md. Each resolves the caller's tenant, addresses the run's object by
 * tenant and run id, and turns the object's answer into HTTP. No business logic lives here.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../../engine/hash-chain";
import { base32, isRunId, runObjectName } from "../../engine/ids";
import type { Principal } from "../../engine/ports";
import { RunState } from "../../engine/state";
import { WorkflowState } from "../../engine/workflow";
import { listRuns } from "../../adapters/d1-run-index";
import { systemIds } from "../../adapters/system";
import { admitRun, releaseAdmission } from "../admission";
import { requireScope } from "../auth";
import { ApiError, invalidRequest } from "../errors";
import { decodeCursor, encodeCursor } from "../page-cursor";
import { route } from "../router";
import type { AppContext, RouteDef } from "../router";
import {
  ApprovalBody,
  ApprovalResponse,
  CancelResponse,
  ChainCheckResponse,
  Cursor,
  EventsPageResponse,
  EventsQuery,
  IdempotencyKey,
  ListRunsQuery,
  ListRunsResponse,
  StartRunBody,
  StartRunResponse,
  TraceQuery,
} from "../schemas";

const NOT_FOUND = "run not found";

/** The run's object for this tenant; a malformed id is a 404 without touching storage. */
export function runStub(c: AppContext, principal: Principal, runId: string | undefined) {
  if (runId === undefined || !isRunId(runId)) throw new ApiError("not_found", NOT_FOUND);
  return c.env.RUN_OBJECT.getByName(runObjectName(principal.tenant_id, runId));
}

type RunStub = ReturnType<typeof runStub>;

/**
 * Calls an idempotent method of the run's object, retrying with a fresh stub when the platform
 * says the failure is retryable (the object was reset: a deploy, an eviction mid-call). Only for
 * calls whose repetition has no second effect: reads, `start` (deduplicated by run id and
 * fingerprint) and `feedback` (by feedback id); never for approvals or cancels.
 */
export async function callRun<T>(c: AppContext, principal: Principal, runId: string | undefined, call: (stub: RunStub) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(runStub(c, principal, runId));
    } catch (error) {
      const flags = error as { retryable?: boolean; overloaded?: boolean };
      if (attempt >= 3 || flags.retryable !== true || flags.overloaded === true) throw error;
    }
  }
}

function found<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new ApiError("not_found", NOT_FOUND);
  return value;
}

/** An idempotent start's run id is derived from the tenant and the key, so the run object itself dedupes. */
function idempotentRunId(tenantId: string, key: string): string {
  const digest = createHash("sha256").update(`${tenantId}\n${key}`).digest();
  return `run_${base32(new Uint8Array(digest), 26)}`;
}

function idempotencyKey(c: AppContext): string | undefined {
  const raw = c.req.header("idempotency-key");
  if (raw === undefined) return undefined;
  const parsed = IdempotencyKey.safeParse(raw);
  if (!parsed.success) throw invalidRequest(parsed.error, ["headers", "idempotency-key"]);
  return parsed.data;
}

/** `Last-Event-ID` wins over `?after=` (a browser's EventSource reconnects to the original URL). */
export function resumeCursor(c: AppContext, after: number | undefined): number {
  const header = c.req.header("last-event-id");
  if (header === undefined) return after ?? 0;
  const parsed = Cursor.safeParse(header);
  if (!parsed.success) throw invalidRequest(parsed.error, ["headers", "last-event-id"]);
  return parsed.data;
}

/** A page of the run index starts after this (created_at, run_id). */
const RunPosition = z.tuple([z.string(), z.string()]);

export const runRoutes: RouteDef[] = [
  route(
    {
      method: "post",
      path: "/runs",
      summary: "Start a run",
      scope: "runs:write",
      body: StartRunBody,
      headers: [{ name: "Idempotency-Key", description: "Retries with the same key return the same run", schema: IdempotencyKey }],
      responses: {
        201: { description: "The run was started", schema: StartRunResponse },
        200: { description: "An earlier start with the same Idempotency-Key", schema: StartRunResponse },
        409: { description: "The Idempotency-Key was used with another body" },
        429: { description: "Over the tenant's RATE_LIMIT_RUNS_PER_MIN or MAX_ACTIVE_RUNS: nothing was created; see Retry-After" },
      },
    },
    async (c, { principal, body }) => {
      if (body.options.approval === "never") requireScope(principal, "tools:unattended");
      const key = idempotencyKey(c);
      const runId = key === undefined ? systemIds.run() : idempotentRunId(principal.tenant_id, key);
      // A retry whose key already names a run is answered as before, and is not counted.
      const known = key !== undefined && (await callRun(c, principal, runId, (stub) => stub.getState())) !== null;
      if (!known) await admitRun(c.env, principal.tenant_id, runId);
      const start = () =>
        callRun(c, principal, runId, async (stub) =>
          stub.start({
            run_id: runId,
            tenant_id: principal.tenant_id,
            user_id: principal.user_id,
            scopes: principal.scopes,
            message: body.message,
            context: body.context,
            mode: body.mode,
            options: body.options,
            fingerprint: createHash("sha256").update(canonicalJson(body)).digest("hex"),
          }),
        );
      const result = await start().catch(async (error: unknown) => {
        // Nothing was created: the slot goes back now (reconciliation would free it a minute later).
        if (!known) await releaseAdmission(c.env, principal.tenant_id, runId).catch(() => undefined);
        throw error;
      });
      if (result.outcome === "conflict" && !known) await releaseAdmission(c.env, principal.tenant_id, runId).catch(() => undefined);
      if (result.outcome === "conflict") {
        throw new ApiError("conflict", "this Idempotency-Key was already used with a different request body");
      }
      const links = { events_url: `/runs/${result.run_id}/events`, state_url: `/runs/${result.run_id}/state` };
      // Without a key the run id is fresh, so finding the run means our own retried call made it.
      const created = result.outcome === "created" || key === undefined;
      return c.json({ run_id: result.run_id, status: result.status, ...links }, created ? 201 : 200);
    },
  ),
  route(
    {
      method: "get",
      path: "/runs",
      summary: "List the tenant's runs, newest first",
      scope: "runs:read",
      query: ListRunsQuery,
      responses: { 200: { description: "A page of runs", schema: ListRunsResponse } },
    },
    async (c, { principal, query }) => {
      const after = query.cursor === undefined ? null : decodeCursor(query.cursor, RunPosition);
      const page = await listRuns(c.env.DB, principal.tenant_id, query.limit, after && { created_at: after[0], run_id: after[1] });
      const last = page.runs.at(-1);
      return c.json({ runs: page.runs, next_cursor: page.more && last !== undefined ? encodeCursor([last.created_at, last.run_id]) : null });
    },
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/events",
      summary: "The run's events: SSE (replay, then live) or a JSON page with format=json",
      scope: "runs:read",
      query: EventsQuery,
      headers: [{ name: "Last-Event-ID", description: "Resume after this seq (wins over ?after=)", schema: z.string() }],
      responses: {
        200: { description: "text/event-stream, or a JSON page", schema: EventsPageResponse, contentType: "text/event-stream" },
      },
    },
    async (c, { principal, query, params }) => {
      const after = resumeCursor(c, query.after);
      if (query.format === "json") {
        return c.json(found(await callRun(c, principal, params.run_id, (stub) => stub.eventsPage({ after, limit: query.limit }))));
      }
      return found(await callRun(c, principal, params.run_id, (stub) => stub.subscribe({ after, follow: query.follow === "true" })));
    },
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/state",
      summary: "The latest RunState snapshot",
      scope: "runs:read",
      responses: { 200: { description: "RunState", schema: RunState } },
    },
    async (c, { principal, params }) => c.json(found(await callRun(c, principal, params.run_id, (stub) => stub.getState()))),
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/workflow",
      summary: "The durable WorkflowState",
      scope: "runs:read",
      responses: { 200: { description: "WorkflowState", schema: WorkflowState } },
    },
    async (c, { principal, params }) => c.json(found(await callRun(c, principal, params.run_id, (stub) => stub.getWorkflow()))),
  ),
  route(
    {
      method: "post",
      path: "/runs/{run_id}/approval",
      summary: "Approve or reject a pending tool request, and resume the run",
      scope: "runs:write",
      body: ApprovalBody,
      responses: {
        202: { description: "The decision was recorded", schema: ApprovalResponse },
        409: { description: "That request is not waiting for a decision" },
      },
    },
    async (c, { principal, body, params }) => {
      const result = await runStub(c, principal, params.run_id).approve({
        request_id: body.request_id,
        decision: body.decision,
        reason: body.reason ?? null,
        user_id: principal.user_id,
      });
      if (result.outcome === "not_found") throw new ApiError("not_found", NOT_FOUND);
      if (result.outcome === "conflict") throw new ApiError("conflict", result.reason);
      return c.json({ run_id: params.run_id, request_id: result.request_id, decision: result.decision }, 202);
    },
  ),
  route(
    {
      method: "post",
      path: "/runs/{run_id}/cancel",
      summary: "Cancel a run that has not ended",
      scope: "runs:write",
      responses: {
        202: { description: "The run was cancelled", schema: CancelResponse },
        409: { description: "The run has already ended" },
      },
    },
    async (c, { principal, params }) => {
      const result = await runStub(c, principal, params.run_id).cancel({ user_id: principal.user_id });
      if (result.outcome === "not_found") throw new ApiError("not_found", NOT_FOUND);
      if (result.outcome === "conflict") throw new ApiError("conflict", result.reason);
      return c.json({ run_id: params.run_id, status: "cancelled" }, 202);
    },
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/trace",
      summary: "The run's trace: summary and span tree, or OTLP/JSON with format=otlp",
      scope: "runs:read",
      query: TraceQuery,
      responses: { 200: { description: "Trace" } },
    },
    async (c, { principal, query, params }) =>
      c.json(found(await callRun(c, principal, params.run_id, (stub) => (query.format === "otlp" ? stub.traceOtlp() : stub.traceTree())))),
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/spans",
      summary: "The run's spans, in start order",
      scope: "runs:read",
      responses: { 200: { description: "Spans" } },
    },
    async (c, { principal, params }) => c.json({ spans: found(await callRun(c, principal, params.run_id, (stub) => stub.spans())) }),
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/verify",
      summary: "Recompute the event hash chain",
      scope: "runs:read",
      responses: { 200: { description: "The chain check", schema: ChainCheckResponse } },
    },
    async (c, { principal, params }) => c.json(found(await callRun(c, principal, params.run_id, (stub) => stub.verifyChain()))),
  ),
];
