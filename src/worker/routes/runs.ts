/**
 * The run endpoints of CONTRACT.md. Each resolves the caller's tenant, addresses the run's object by
 * tenant and run id, and turns the object's answer into HTTP. No business logic lives here.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../../engine/hash-chain";
import { base32, isRunId } from "../../engine/ids";
import type { Principal } from "../../engine/ports";
import { RunState } from "../../engine/state";
import { SpanList, TraceSummary } from "../../engine/trace";
import { OtlpTraceExport } from "../../engine/otlp";
import { WorkflowState } from "../../engine/workflow";
import { listRuns } from "../../adapters/d1-run-index";
import { systemIds } from "../../adapters/system";
import { objectForRun } from "../../adapters/named-object";
import { admitRun, releaseAdmission } from "../admission";
import { authMode, requireScope } from "../auth";
import { ApiError, invalidRequest } from "../errors";
import { decodeCursor, encodeCursor } from "../page-cursor";
import { SSE_FORMAT, SseMessage } from "../response-schemas";
import { route } from "../router";
import { issueStreamToken, StreamTokenResponse } from "../stream-token";
import type { AppContext, MediaDoc, RouteDef } from "../router";
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
  return objectForRun(c.env.RUN_OBJECT, principal.tenant_id, runId);
}

type RunStub = ReturnType<typeof runStub>;

/**
 * Calls a Durable Object, retrying with a fresh stub when the platform says the failure is
 * retryable (the object was reset: a deploy, an eviction mid-call). Only for calls whose repetition
 * has no second effect.
 */
export async function withFreshStub<S, T>(stub: () => S, call: (stub: S) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(stub());
    } catch (error) {
      const flags = error as { retryable?: boolean; overloaded?: boolean };
      if (attempt >= 3 || flags.retryable !== true || flags.overloaded === true) throw error;
    }
  }
}

/**
 * Calls an idempotent method of the run's object (withFreshStub): reads, `start` (deduplicated by
 * run id and fingerprint) and `feedback` (by feedback id); never approvals or cancels.
 */
export function callRun<T>(c: AppContext, principal: Principal, runId: string | undefined, call: (stub: RunStub) => Promise<T>): Promise<T> {
  return withFreshStub(() => runStub(c, principal, runId), call);
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

export function idempotencyKey(c: AppContext): string | undefined {
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

/** A `text/event-stream` body: the frame format, and each message's schema as `x-item-schema`. */
export const SSE_MEDIA: MediaDoc = { description: SSE_FORMAT, itemSchema: SseMessage };

/** A page of the run index starts after this (created_at, run_id). */
const RunPosition = z.tuple([z.string(), z.string()]);

export const runRoutes: RouteDef[] = [
  route(
    {
      method: "post",
      path: "/runs",
      operationId: "startRun",
      tags: ["runs"],
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
      const token = authMode(c.env.API_KEYS).mode === "keys" ? { stream_token: (await issueStreamToken(c.env, principal.tenant_id, result.run_id)).token } : {};
      return c.json({ run_id: result.run_id, status: result.status, ...links, ...token }, created ? 201 : 200);
    },
  ),
  route(
    {
      method: "get",
      path: "/runs",
      operationId: "listRuns",
      tags: ["runs"],
      summary: "List the tenant's runs, newest first",
      scope: "runs:read",
      query: ListRunsQuery,
      responses: { 200: { description: "A page of runs", schema: ListRunsResponse } },
    },
    async (c, { principal, query }) => {
      const after = query.cursor === undefined ? null : decodeCursor(query.cursor, RunPosition);
      // The tenant writes its runs' rows in batches: what it holds goes to D1 before the read. If
      // that write fails, the listing is served as D1 has it (the tenant's alarm retries the write).
      await c.env.TENANT_OBJECT.getByName(principal.tenant_id)
        .flushIndex()
        .catch(() => undefined);
      const page = await listRuns(c.env.DB, principal.tenant_id, query.limit, after && { created_at: after[0], run_id: after[1] });
      const last = page.runs.at(-1);
      return c.json({ runs: page.runs, next_cursor: page.more && last !== undefined ? encodeCursor([last.created_at, last.run_id]) : null });
    },
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/events",
      operationId: "getRunEvents",
      tags: ["events"],
      summary: "The run's events: SSE (replay, then live) or a JSON page with format=json",
      description:
        "Without `format`, a `text/event-stream` that replays the log after the cursor, then follows the run live and ends after its terminal event (`follow=false`: after the replay). With `format=json`, one `application/json` page of at most `limit` events after `after`.",
      scope: "runs:read",
      query: EventsQuery,
      streamToken: "run_id",
      headers: [{ name: "Last-Event-ID", description: "Resume after this seq (wins over ?after=)", schema: z.string() }],
      responses: {
        200: {
          description: "`text/event-stream` (the default), or with `format=json` a page of events as `application/json`",
          content: { "text/event-stream": SSE_MEDIA, "application/json": { schema: EventsPageResponse } },
        },
        204: { description: "The run has ended and the cursor is at or past its last event: nothing more will come (an EventSource stops here)" },
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
      method: "post",
      path: "/runs/{run_id}/stream-token",
      operationId: "createRunStreamToken",
      tags: ["events"],
      summary: "A token that opens this run's events (SSE and JSON pages) as ?access_token=, for a browser's EventSource",
      scope: "runs:read",
      responses: { 201: { description: "The token and when it expires", schema: StreamTokenResponse } },
    },
    async (c, { principal, params }) => {
      found(await callRun(c, principal, params.run_id, (stub) => stub.getState()));
      return c.json(await issueStreamToken(c.env, principal.tenant_id, params.run_id ?? ""), 201);
    },
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/state",
      operationId: "getRunState",
      tags: ["runs"],
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
      operationId: "getRunWorkflow",
      tags: ["runs"],
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
      operationId: "recordApproval",
      tags: ["runs"],
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
      operationId: "cancelRun",
      tags: ["runs"],
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
      operationId: "getRunTrace",
      tags: ["traces"],
      summary: "The run's trace: summary and span tree, or OTLP/JSON with format=otlp",
      description:
        "`format=tree` (default): the summary and the span tree. `format=otlp`: the same spans as an OTLP/JSON `ExportTraceServiceRequest` that any OpenTelemetry back end loads; a span still open is exported ending at the export time with `run_engine.span.in_progress: true`.",
      scope: "runs:read",
      query: TraceQuery,
      responses: {
        200: { description: "The span tree (`format=tree`) or OTLP/JSON (`format=otlp`)", schema: z.union([TraceSummary, OtlpTraceExport]) },
      },
    },
    async (c, { principal, query, params }) =>
      c.json(found(await callRun(c, principal, params.run_id, (stub) => (query.format === "otlp" ? stub.traceOtlp() : stub.traceTree())))),
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/spans",
      operationId: "listRunSpans",
      tags: ["traces"],
      summary: "The run's spans, in start order",
      scope: "runs:read",
      responses: { 200: { description: "The spans, flat, in start order", schema: SpanList } },
    },
    async (c, { principal, params }) => c.json({ spans: found(await callRun(c, principal, params.run_id, (stub) => stub.spans())) }),
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/verify",
      operationId: "verifyRunChain",
      tags: ["runs"],
      summary: "Recompute the event hash chain",
      scope: "runs:read",
      responses: { 200: { description: "The chain check", schema: ChainCheckResponse } },
    },
    async (c, { principal, params }) => {
      const { valid, last_seq, head_hash, first_bad_seq } = found(await callRun(c, principal, params.run_id, (stub) => stub.verifyChain()));
      return c.json({ valid, last_seq, head_hash, first_bad_seq });
    },
  ),
];
