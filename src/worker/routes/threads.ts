/**
 * The thread endpoints of CONTRACT.md ("Threads"). Each resolves the caller's tenant, addresses the
 * thread's object by tenant and thread id (another tenant's thread is an empty object: 404), and
 * turns the object's answer into HTTP. The ordering, the queue and the multitask policy live in the
 * ThreadObject; no business logic lives here.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { listThreads } from "../../adapters/d1-thread-index";
import { cryptoRandom, systemClock, systemIds } from "../../adapters/system";
import { objectForRun } from "../../adapters/named-object";
import { canonicalJson } from "../../engine/hash-chain";
import { base32, ulid } from "../../engine/ids";
import type { Principal } from "../../engine/ports";
import { THREAD_START, ThreadCursorText } from "../../engine/threads/cursor";
import type { ThreadCursor } from "../../engine/threads/cursor";
import { isThreadId, threadObjectName } from "../../engine/threads/shapes";
import { admitRun, releaseAdmission } from "../admission";
import { authMode, requireScope } from "../auth";
import { ApiError, invalidRequest } from "../errors";
import { decodeCursor, encodeCursor } from "../page-cursor";
import { route } from "../router";
import { issueStreamToken, StreamTokenResponse } from "../stream-token";
import { SSE_FORMAT, ThreadSseMessage } from "../response-schemas";
import { idempotencyKey, withFreshStub } from "./runs";
import type { AppContext, RouteDef } from "../router";
import type { PostReply, ThreadEventsPage } from "../../durable-objects/thread-rpc";
import { IdempotencyKey } from "../schemas";
import {
  CreateThreadBody,
  CreateThreadResponse,
  ListThreadsQuery,
  ListThreadsResponse,
  ThreadEventsPageResponse,
  ThreadEventsQuery,
  ThreadResponse,
  ThreadRunBody,
  ThreadRunResponse,
} from "../thread-schemas";

const NOT_FOUND = "thread not found";

function threadStub(c: AppContext, principal: Principal, threadId: string | undefined) {
  if (threadId === undefined || !isThreadId(threadId)) throw new ApiError("not_found", NOT_FOUND);
  return c.env.THREAD_OBJECT.getByName(threadObjectName(principal.tenant_id, threadId));
}

type ThreadStub = ReturnType<typeof threadStub>;

/**
 * Calls the thread's object (withFreshStub). Every thread RPC the routes make is safe to repeat:
 * reads, `create` (by thread id) and `post` (by run id: a repeated post finds its turn).
 */
function callThread<T>(c: AppContext, principal: Principal, threadId: string | undefined, call: (stub: ThreadStub) => Promise<T>): Promise<T> {
  return withFreshStub(() => threadStub(c, principal, threadId), call);
}

/**
 * An idempotent message's run id, derived from the tenant, the thread and the key, so that the
 * thread itself finds a retried message (and a key reused in another thread names another run).
 */
function idempotentRunId(tenantId: string, threadId: string, key: string): string {
  const digest = createHash("sha256").update(`${tenantId}\n${threadId}\n${key}`).digest();
  return `run_${base32(new Uint8Array(digest), 26)}`;
}

/** `Last-Event-ID` wins over `?after=`, as on a run's stream; both are `<turn>.<seq>`. */
function threadCursor(c: AppContext, after: ThreadCursor | undefined): ThreadCursor {
  const header = c.req.header("last-event-id");
  if (header === undefined) return after ?? THREAD_START;
  const parsed = ThreadCursorText.safeParse(header);
  if (!parsed.success) throw invalidRequest(parsed.error, ["headers", "last-event-id"]);
  return parsed.data;
}

function pastEnd(c: AppContext): ApiError {
  const path = c.req.header("last-event-id") === undefined ? "query.after" : "headers.last-event-id";
  const message = "names a turn this thread does not have";
  return new ApiError("invalid_request", `${path}: ${message}`, [{ path, message }]);
}

/** A page of the thread index starts after this (updated_at, thread_id). */
const ThreadPosition = z.tuple([z.string(), z.string()]);

export const threadRoutes: RouteDef[] = [
  route(
    {
      method: "post",
      path: "/threads",
      operationId: "createThread",
      tags: ["threads"],
      summary: "Start a conversation",
      scope: "runs:write",
      body: CreateThreadBody,
      bodyOptional: true,
      responses: { 201: { description: "The thread was created", schema: CreateThreadResponse } },
    },
    async (c, { principal, body }) => {
      const threadId = `th_${ulid(systemClock.now(), cryptoRandom)}`;
      await callThread(c, principal, threadId, (stub) => stub.create({ thread_id: threadId, tenant_id: principal.tenant_id, metadata: body.metadata }));
      return c.json({ thread_id: threadId, events_url: `/threads/${threadId}/events` }, 201);
    },
  ),
  route(
    {
      method: "get",
      path: "/threads",
      operationId: "listThreads",
      tags: ["threads"],
      summary: "List the tenant's threads, most recently active first",
      scope: "runs:read",
      query: ListThreadsQuery,
      responses: { 200: { description: "A page of threads", schema: ListThreadsResponse } },
    },
    async (c, { principal, query }) => {
      const after = query.cursor === undefined ? null : decodeCursor(query.cursor, ThreadPosition);
      const page = await listThreads(c.env.DB, principal.tenant_id, query.limit, after && { updated_at: after[0], thread_id: after[1] });
      const last = page.threads.at(-1);
      return c.json({
        threads: page.threads,
        next_cursor: page.more && last !== undefined ? encodeCursor([last.updated_at, last.thread_id]) : null,
      });
    },
  ),
  route(
    {
      method: "get",
      path: "/threads/{thread_id}",
      operationId: "getThread",
      tags: ["threads"],
      summary: "The thread and its runs in order",
      scope: "runs:read",
      responses: { 200: { description: "Thread", schema: ThreadResponse } },
    },
    async (c, { principal, params }) => {
      const thread = await callThread(c, principal, params.thread_id, (stub) => stub.describe());
      if (thread === null) throw new ApiError("not_found", NOT_FOUND);
      return c.json(thread);
    },
  ),
  route(
    {
      method: "post",
      path: "/threads/{thread_id}/runs",
      operationId: "postThreadMessage",
      tags: ["threads"],
      summary: "A new message in the thread: a run, started now or queued behind the thread's running one",
      scope: "runs:write",
      body: ThreadRunBody,
      headers: [{ name: "Idempotency-Key", description: "Retries with the same key return the same run", schema: IdempotencyKey }],
      responses: {
        201: { description: "The run was created (started, or queued)", schema: ThreadRunResponse },
        200: { description: "An earlier message with the same Idempotency-Key", schema: ThreadRunResponse },
        409: { description: "The thread is busy and multitask is reject, or the Idempotency-Key was used with another body" },
      },
    },
    async (c, { principal, body, params }) => {
      if (body.options.approval === "never") requireScope(principal, "tools:unattended");
      const threadId = params.thread_id ?? "";
      const key = idempotencyKey(c);
      const runId = key === undefined ? systemIds.run() : idempotentRunId(principal.tenant_id, threadId, key);
      const { multitask, ...run } = body;
      // A message counts exactly as POST /runs counts a run: admitted by the tenant before the
      // thread sees it (a 429 creates nothing); a retry whose key already names a run is not counted.
      const known =
        key !== undefined && (await objectForRun(c.env.RUN_OBJECT, principal.tenant_id, runId).getWorkflow()) !== null;
      if (!known) await admitRun(c.env, principal.tenant_id, runId);
      const release = () => (known ? Promise.resolve() : releaseAdmission(c.env, principal.tenant_id, runId).catch(() => undefined));
      const post = () =>
        callThread<PostReply>(c, principal, threadId, async (stub) =>
        stub.post({
          thread_id: threadId,
          multitask,
          request: {
            run_id: runId,
            tenant_id: principal.tenant_id,
            user_id: principal.user_id,
            scopes: principal.scopes,
            message: run.message,
            context: run.context,
            mode: run.mode,
            options: run.options,
            fingerprint: createHash("sha256").update(canonicalJson({ thread_id: threadId, ...body })).digest("hex"),
          },
        }),
      );
      const reply = await post().catch(async (error: unknown) => {
        await release();
        throw error;
      });
      if (reply.outcome !== "created" && reply.outcome !== "existing") await release();
      switch (reply.outcome) {
        case "not_found":
          throw new ApiError("not_found", NOT_FOUND);
        case "busy":
          throw new ApiError("conflict", "the thread is busy and multitask is reject: nothing was created");
        case "conflict":
          throw new ApiError("conflict", "this Idempotency-Key was already used with a different request body");
      }
      const links = { events_url: `/runs/${reply.run_id}/events`, state_url: `/runs/${reply.run_id}/state` };
      // Without a key the run id is fresh, so finding the turn means our own retried call made it.
      const created = reply.outcome === "created" || key === undefined;
      const token = authMode(c.env.API_KEYS).mode === "keys" ? { stream_token: (await issueStreamToken(c.env, principal.tenant_id, reply.run_id)).token } : {};
      return c.json({ run_id: reply.run_id, thread_id: threadId, turn: reply.turn, status: reply.status, ...links, ...token }, created ? 201 : 200);
    },
  ),
  route(
    {
      method: "get",
      path: "/threads/{thread_id}/events",
      operationId: "getThreadEvents",
      tags: ["threads", "events"],
      summary: "The events of every run of the thread in turn order: SSE (replay, then live, for as long as the client stays) or a JSON page",
      scope: "runs:read",
      query: ThreadEventsQuery,
      streamToken: "thread_id",
      headers: [{ name: "Last-Event-ID", description: "Resume after this <turn>.<seq> (wins over ?after=)", schema: z.string() }],
      responses: {
        200: {
          description: "`text/event-stream` (the default; each message's id is `<turn>.<seq>`), or with `format=json` a page of events as `application/json`",
          content: {
            "text/event-stream": { description: SSE_FORMAT, itemSchema: ThreadSseMessage },
            "application/json": { schema: ThreadEventsPageResponse },
          },
        },
      },
    },
    async (c, { principal, query, params }) => {
      const after = threadCursor(c, query.after);
      const answer =
        query.format === "json"
          ? await callThread<ThreadEventsPage | "not_found" | "past_end">(c, principal, params.thread_id, async (stub) =>
              stub.eventsPage({ after, limit: query.limit }),
            )
          : await callThread<Response | "not_found" | "past_end">(c, principal, params.thread_id, async (stub) =>
              stub.subscribe({ after, follow: query.follow === "true" }),
            );
      if (answer === "not_found") throw new ApiError("not_found", NOT_FOUND);
      if (answer === "past_end") throw pastEnd(c);
      return answer instanceof Response ? answer : c.json(answer);
    },
  ),
  route(
    {
      method: "post",
      path: "/threads/{thread_id}/stream-token",
      operationId: "createThreadStreamToken",
      tags: ["threads", "events"],
      summary: "A token that opens this thread's events (SSE and JSON pages) as ?access_token=, for a browser's EventSource",
      scope: "runs:read",
      responses: { 201: { description: "The token and when it expires", schema: StreamTokenResponse } },
    },
    async (c, { principal, params }) => {
      const thread = await callThread(c, principal, params.thread_id, (stub) => stub.describe());
      if (thread === null) throw new ApiError("not_found", NOT_FOUND);
      return c.json(await issueStreamToken(c.env, principal.tenant_id, params.thread_id ?? ""), 201);
    },
  ),
];
