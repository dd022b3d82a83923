/**
 * Every answer of the api, checked against the api's own `/openapi.json`: real requests through the
 * worker (every route, its successes and its typical errors), each response looked up by method,
 * path, status and content type in the document, its JSON body validated against that schema with
 * a JSON Schema 2020-12 validator (`@cfworker/json-schema`), each SSE message against the stream's
 * `x-item-schema`, the declared headers present. A response the document does not declare fails.
 * Answers no OpenAPI operation can carry (404 for an unknown path, 405 for a wrong method) are
 * checked against the `Error` component.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Validator } from "@cfworker/json-schema";
import type { Schema } from "@cfworker/json-schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/worker/index";
import { BASE, api, getJson, postJson, startRun, waitFor, waitForStatus } from "../support/api";
import { keyed } from "../support/keys";
import { dispatchedRequests, runStub } from "../support/runs";
import { parseFrames } from "../support/sse";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DOC_URI = `${BASE}/openapi.json`;
let doc: Json;
const validators = new Map<string, Validator>();
/** What was validated: `METHOD path status media`, once each. */
const seen = new Set<string>();
let messages = 0;
let responses = 0;

function validatorFor(ref: string): Validator {
  let validator = validators.get(ref);
  if (validator === undefined) {
    validator = new Validator({ $ref: `${DOC_URI}${ref}` } as Schema, "2020-12", false);
    validator.addSchema(structuredClone(doc) as Schema, DOC_URI);
    validators.set(ref, validator);
  }
  return validator;
}

function expectValid(ref: string, value: unknown, where: string): void {
  const result = validatorFor(ref).validate(value);
  const errors = result.errors.slice(0, 6).map((e) => `${e.instanceLocation} ${e.keywordLocation}: ${e.error}`);
  expect(result.valid, `${where} against ${ref}:\n${errors.join("\n")}\n${JSON.stringify(value).slice(0, 400)}`).toBe(true);
}

/** Checks `response` against the document's operation `method path`; returns the parsed body. */
async function check(method: string, path: string, response: Response): Promise<unknown> {
  const where = `${method.toUpperCase()} ${path} → ${response.status}`;
  responses += 1;
  const operation = doc.paths[path]?.[method];
  expect(operation, `${where}: no such operation in the document`).toBeDefined();
  const status = String(response.status);
  const declared = operation.responses[status] ?? (response.status >= 400 ? operation.responses.default : undefined);
  expect(declared, `${where}: status not declared`).toBeDefined();
  for (const header of Object.keys(declared.headers ?? {})) expect(response.headers.get(header), `${where}: header ${header}`).not.toBeNull();
  if (declared.content === undefined) {
    expect(await response.text(), `${where}: no body declared`).toBe("");
    seen.add(`${method.toUpperCase()} ${path} ${status}`);
    return null;
  }
  const type = (response.headers.get("content-type") ?? "").split(";")[0]!.trim();
  const media = declared.content[type];
  expect(media, `${where}: content type ${type} not declared (${Object.keys(declared.content).join(", ")})`).toBeDefined();
  seen.add(`${method.toUpperCase()} ${path} ${status} ${type}`);
  if (type === "text/event-stream") {
    const frames = parseFrames(await response.text());
    expect(frames[0]?.retry, `${where}: first frame is retry:`).toMatch(/^\d+$/);
    const parsed = frames
      .filter((frame) => frame.comment === undefined)
      .map((frame) => (frame.retry !== undefined ? { retry: Number(frame.retry) } : { id: frame.id, event: frame.event, data: JSON.parse(frame.data ?? "null") }));
    for (const message of parsed) {
      expectValid(media["x-item-schema"].$ref, message, where);
      if ("data" in message) {
        expect(message.event).toBe(message.data.type);
        expect(message.id?.split(".").at(-1)).toBe(String(message.data.seq));
      }
      messages += 1;
    }
    return parsed;
  }
  if (type === "application/x-ndjson") {
    const lines = (await response.text()).trimEnd().split("\n").map((line) => JSON.parse(line) as unknown);
    for (const line of lines) expectValid(media["x-item-schema"].$ref, line, where);
    return lines;
  }
  const body = await response.json();
  expectValid(media.schema.$ref, body, where);
  return body;
}

const get = (path: string, template: string, init: RequestInit = {}) => api(path, init).then((r) => check("get", template, r));
const post = (path: string, template: string, body: unknown, init: RequestInit = {}) =>
  postJson(path, body, init).then((r) => check("post", template, r));

/** The worker with a malformed `API_KEYS`: every authenticated request is a 500. */
async function misconfigured(path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${BASE}${path}`) as Request<unknown, IncomingRequestCfProperties>, { ...env, API_KEYS: "{not json" } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

beforeAll(async () => {
  const response = await api("/openapi.json");
  doc = (await response.json()) as Json;
});

describe("every answer of the api matches /openapi.json", () => {
  it("meta: /healthz, /openapi.json", async () => {
    await get("/healthz", "/healthz");
    await get("/openapi.json", "/openapi.json");
  });

  it("a run with a tool call: start, list, events (SSE, JSON, 204), state, workflow, trace (tree, OTLP), spans, verify, feedback", async () => {
    const started = (await post("/runs", "/runs", { message: "What is 6 * 7?" })) as { run_id: string };
    const runId = started.run_id;
    const [request] = await dispatchedRequests(runId);
    const now = Date.now();
    await runStub(runId).deliverToolResult({
      request_id: request!.request_id,
      status: "completed",
      result: { content: [{ type: "text", text: "42" }], structuredContent: { value: 42 } },
      cached: false,
      duration_ms: 2,
      span: { name: "tool calculator.evaluate", start: new Date(now - 2).toISOString(), end: new Date(now).toISOString(), status: "ok", attributes: { "tool.outcome": "completed" } },
    });
    await waitForStatus(runId, ["completed"]);

    await get("/runs?limit=5", "/runs");
    const sse = (await get(`/runs/${runId}/events`, "/runs/{run_id}/events")) as { data?: { seq: number } }[];
    const last = sse.at(-1)!.data!.seq;
    await get(`/runs/${runId}/events?format=json&limit=3`, "/runs/{run_id}/events");
    await get(`/runs/${runId}/events?after=${last}`, "/runs/{run_id}/events");
    await get(`/runs/${runId}/state`, "/runs/{run_id}/state");
    await get(`/runs/${runId}/workflow`, "/runs/{run_id}/workflow");
    await get(`/runs/${runId}/trace`, "/runs/{run_id}/trace");
    await get(`/runs/${runId}/trace?format=otlp`, "/runs/{run_id}/trace");
    await get(`/runs/${runId}/spans`, "/runs/{run_id}/spans");
    await get(`/runs/${runId}/verify`, "/runs/{run_id}/verify");
    await post("/feedback", "/feedback", { run_id: runId, rating: "up", comment: "right" });
    // After feedback, the event that follows the terminal one is in the page and the stream too.
    await get(`/runs/${runId}/events?format=json&after=${last}`, "/runs/{run_id}/events");
  });

  it("a run waiting for approval: live SSE replay, approve, reject, cancel, and their conflicts", async () => {
    const approved = await startRun({ message: "remember: the review is on Monday" });
    const pending = await waitFor(async () => {
      const state = await getJson<{ tool_requests: { request_id: string; status: string }[] }>(`/runs/${approved}/state`);
      return state.tool_requests.find((r) => r.status === "awaiting_approval");
    }, "an approval request");
    await get(`/runs/${approved}/events?follow=false`, "/runs/{run_id}/events");
    await get(`/runs/${approved}/trace?format=otlp`, "/runs/{run_id}/trace");
    await get(`/runs/${approved}/workflow`, "/runs/{run_id}/workflow");
    await post(`/runs/${approved}/approval`, "/runs/{run_id}/approval", { request_id: pending.request_id, decision: "approve" });
    await post(`/runs/${approved}/approval`, "/runs/{run_id}/approval", { request_id: pending.request_id, decision: "reject" });
    await post(`/runs/${approved}/approval`, "/runs/{run_id}/approval", { request_id: pending.request_id, decision: "maybe" });
    await post(`/runs/${approved}/cancel`, "/runs/{run_id}/cancel", {});
    await post(`/runs/${approved}/cancel`, "/runs/{run_id}/cancel", {});
    await get(`/runs/${approved}/spans`, "/runs/{run_id}/spans");

    const rejected = await startRun({ message: "remember: something else" });
    const other = await waitFor(async () => {
      const state = await getJson<{ tool_requests: { request_id: string; status: string }[] }>(`/runs/${rejected}/state`);
      return state.tool_requests.find((r) => r.status === "awaiting_approval");
    }, "an approval request");
    await post(`/runs/${rejected}/approval`, "/runs/{run_id}/approval", { request_id: other.request_id, decision: "reject", reason: "not now" });
    await waitForStatus(rejected, ["completed"]);
    await get(`/runs/${rejected}/trace`, "/runs/{run_id}/trace");
  });

  it("a run's history: stream token, manifest, export, import, replay, fork, and their errors", async () => {
    const runId = await startRun({ message: "Hello there" });
    await waitForStatus(runId, ["completed"]);
    await post(`/runs/${runId}/stream-token`, "/runs/{run_id}/stream-token", {});
    await get(`/runs/${runId}/manifest`, "/runs/{run_id}/manifest");
    const lines = (await get(`/runs/${runId}/export`, "/runs/{run_id}/export")) as unknown[];
    const ndjson = { method: "POST", headers: { "content-type": "application/x-ndjson" } };
    await check("post", "/runs/import", await api("/runs/import", { ...ndjson, body: lines.map((line) => JSON.stringify(line)).join("\n") }));
    await check("post", "/runs/import", await api("/runs/import", { ...ndjson, body: JSON.stringify({ ...(lines[0] as object), hash: "0".repeat(64) }) }));
    await check("post", "/runs/import", await api("/runs/import", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }));
    await post(`/runs/${runId}/replay`, "/runs/{run_id}/replay", {});
    await post(`/runs/${runId}/fork`, "/runs/{run_id}/fork", { at_seq: 1 });
    await post(`/runs/${runId}/fork`, "/runs/{run_id}/fork", { at_seq: 3 });
    const missing = "run_01JZZZZZZZZZZZZZZZZZZZZZZZ";
    await get(`/runs/${missing}/manifest`, "/runs/{run_id}/manifest");
    await get(`/runs/${missing}/export`, "/runs/{run_id}/export");
    await post(`/runs/${missing}/replay`, "/runs/{run_id}/replay", {});
  });

  it("threads: create, list, describe, post messages under each policy, stream, stream token, and their errors", async () => {
    const { thread_id } = (await post("/threads", "/threads", { metadata: { topic: "openapi" } })) as { thread_id: string };
    await post("/threads", "/threads", { metadata: "not an object" });
    const first = (await post(`/threads/${thread_id}/runs`, "/threads/{thread_id}/runs", { message: "Hello there" })) as { run_id: string };
    await post(`/threads/${thread_id}/runs`, "/threads/{thread_id}/runs", { message: "And again", multitask: "reject" });
    await post(`/threads/${thread_id}/runs`, "/threads/{thread_id}/runs", { message: "x", multitask: "sometimes" });
    await waitForStatus(first.run_id, ["completed"]);
    await waitFor(async () => {
      const thread = await getJson<{ status: string }>(`/threads/${thread_id}`);
      return thread.status === "idle" ? thread : undefined;
    }, "the thread to be idle");
    await get(`/threads/${thread_id}`, "/threads/{thread_id}");
    await get("/threads?limit=5", "/threads");
    await get("/threads?cursor=%%%", "/threads");
    await get(`/threads/${thread_id}/events?follow=false`, "/threads/{thread_id}/events");
    await get(`/threads/${thread_id}/events?format=json`, "/threads/{thread_id}/events");
    await get(`/threads/${thread_id}/events?after=3.x`, "/threads/{thread_id}/events");
    await post(`/threads/${thread_id}/stream-token`, "/threads/{thread_id}/stream-token", {});
    const missing = "th_01JZZZZZZZZZZZZZZZZZZZZZZZ";
    await get(`/threads/${missing}`, "/threads/{thread_id}");
    await post(`/threads/${missing}/runs`, "/threads/{thread_id}/runs", { message: "hi" });
  });

  it("starting runs: idempotent retry, key reuse, invalid bodies, wrong media type, too large", async () => {
    const key = { "idempotency-key": `openapi-${crypto.randomUUID()}` };
    await post("/runs", "/runs", { message: "Hello there" }, { headers: key });
    await post("/runs", "/runs", { message: "Hello there" }, { headers: key });
    await post("/runs", "/runs", { message: "Something else" }, { headers: key });
    await post("/runs", "/runs", { message: "   " });
    await post("/runs", "/runs", { message: "hi" }, { headers: { "idempotency-key": "x".repeat(129) } });
    await check("post", "/runs", await api("/runs", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }));
    await check("post", "/runs", await api("/runs", { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" }));
    await post("/runs", "/runs", { message: "x".repeat(300 * 1024) });
  });

  it("reading runs: bad cursors and parameters, unknown runs", async () => {
    const missing = "run_01JZZZZZZZZZZZZZZZZZZZZZZZ";
    await get("/runs?limit=0", "/runs");
    await get("/runs?cursor=%%%", "/runs");
    await get(`/runs/${missing}/state`, "/runs/{run_id}/state");
    await get(`/runs/${missing}/workflow`, "/runs/{run_id}/workflow");
    await get(`/runs/${missing}/events`, "/runs/{run_id}/events");
    await get(`/runs/${missing}/events?format=json`, "/runs/{run_id}/events");
    await get(`/runs/${missing}/events?after=abc`, "/runs/{run_id}/events");
    await get(`/runs/${missing}/trace`, "/runs/{run_id}/trace");
    await get(`/runs/${missing}/trace?format=zipkin`, "/runs/{run_id}/trace");
    await get(`/runs/${missing}/spans`, "/runs/{run_id}/spans");
    await get(`/runs/${missing}/verify`, "/runs/{run_id}/verify");
    await post(`/runs/${missing}/cancel`, "/runs/{run_id}/cancel", {});
    await post(`/runs/${missing}/approval`, "/runs/{run_id}/approval", { request_id: "tr_x", decision: "approve" });
    await post("/feedback", "/feedback", { run_id: missing, rating: "down" });
    await post("/feedback", "/feedback", { run_id: missing, rating: "meh" });
  });

  it("tools and knowledge: list, add a document, search, the ingestion stream, and their errors", async () => {
    await get("/tools", "/tools");
    await post("/knowledge/documents", "/knowledge/documents", { title: "Quokkas", text: "# Quokkas\n\nQuokkas live on Rottnest Island." });
    await post("/knowledge/documents", "/knowledge/documents", { title: "Empty" });
    await get("/knowledge/search?q=quokka&k=2", "/knowledge/search");
    await get("/knowledge/search?q=", "/knowledge/search");
    await get("/knowledge/events?follow=false", "/knowledge/events");
    await get("/knowledge/events?scope=shared&follow=false", "/knowledge/events");
    // Knowledge events have no JSON page: `format=json` is refused at once, not answered with an endless stream.
    const json = await api("/knowledge/events?format=json");
    expect(json.status).toBe(400);
    expect(await check("get", "/knowledge/events", json)).toMatchObject({ error: { code: "invalid_request", details: [{ path: "query.format" }] } });
  });

  it("authentication and scopes, and a malformed API_KEYS", async () => {
    await check("get", "/runs", await keyed("/runs"));
    await check("get", "/runs", await keyed("/runs", { key: "no-such-key" }));
    await check("post", "/runs", await keyed("/runs", { method: "POST", key: "reader", json: { message: "hi" } }));
    await check("post", "/feedback", await keyed("/feedback", { method: "POST", key: "reader", json: { run_id: "run_x", rating: "up" } }));
    await check("post", "/knowledge/documents", await keyed("/knowledge/documents", { method: "POST", key: "ann", json: { text: "# x" } }));
    await check("get", "/tools", await keyed("/tools", { key: "ann" }));
    await check("get", "/runs", await misconfigured("/runs"));
    await check("get", "/healthz", await misconfigured("/healthz"));
  });

  it("answers no operation can declare still have the Error shape", async () => {
    for (const response of [await api("/nowhere"), await api("/runs", { method: "PUT" }), await api("/healthz", { method: "POST" })]) {
      expect(response.status).toBeGreaterThanOrEqual(404);
      expectValid("#/components/schemas/Error", await response.json(), `${response.status}`);
      responses += 1;
    }
  });
});

afterAll(() => {
  // Every operation had at least one success validated, and the coverage is reported.
  const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) => Object.keys(item as Json).map((method) => `${method.toUpperCase()} ${path}`));
  const succeeded = operations.filter((op) => [...seen].some((entry) => entry.startsWith(`${op} 2`)));
  const statuses = [...seen].length;
  console.log(
    `openapi: ${responses} responses validated: ${operations.length} operations, ${succeeded.length} with a success; ${statuses} distinct (operation, status, media type); ${messages} SSE messages`,
  );
  expect(succeeded).toEqual(operations);
});
