/**
 * A fake OpenAI-compatible server for tests: real HTTP on 127.0.0.1, real `chat.completion.chunk`
 * server-sent events, so the `openai` SDK's own streaming and error code runs exactly as it would
 * against the real API. Runs in Node (vitest `globalSetup`); the Workers pool reaches it by fetch.
 *
 * Behaviour is chosen per request by a *scenario spec*, `name`, `name@key` or `name@key/target`:
 * - in the URL, as a base URL `http://host/s/<spec>/v1` (adapter tests: one client per scenario);
 * - or in any message's text as `[[fake:<spec>]]` (whole runs, where the base URL is fixed).
 * A `name` ending in `_once` applies to the first matching request per spec only; later requests
 * get the normal answer. `target` limits the scenario to `plan` requests (those with
 * `response_format` or `tools`), `answer` requests (those without) or `moderation` requests (only
 * those); default: every chat and embeddings request.
 *
 * Keys accepted: any `Bearer sk-test…`; anything else is 401 `invalid_api_key`, as OpenAI does.
 * Every request is logged; `GET /__log/<spec>` returns the bodies received for that spec
 * (`/__log/moderation:<spec>` those of the moderation route).
 *
 * `/v1/moderations` flags a text that contains `[[moderation:<category>]]` in that category; a
 * `[[fake:<spec>]]` in its `input` selects an error scenario as for the other routes.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeOpenAI {
  url: string;
  close(): Promise<void>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Body = { [key: string]: Json };

/** The answer every normal generation request streams, in these deltas. */
export const FAKE_ANSWER_DELTAS = ["Here is ", "the answer ", "from the ", "fake model."];
export const FAKE_PLAN = { steps: ["answer the question"], needs_retrieval: false, tool_intents: [] };
/** `ungrounded`: an answer whose number and names appear in no evidence. */
export const UNGROUNDED_DELTAS = ["The Zorblax reactor ", "produces 9,999 megawatts, ", "according to Quentin Marsh."];
/** `cited`: an answer that cites the first document of the prompt, and claims nothing else. */
function citedDeltas(body: Body): string[] {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const text = messages.map((m) => (isObject(m) && typeof m.content === "string" ? m.content : "")).join("\n");
  const id = /<document id="([^"]+)"/.exec(text)?.[1] ?? "none";
  return ["The documentation ", `covers this [chunk:${id}].`];
}

const ERROR_SCENARIOS: Record<string, { status: number; headers?: () => Record<string, string>; error: Body }> = {
  rate_limit: {
    status: 429,
    headers: () => ({ "retry-after": "2" }),
    error: { message: "Rate limit reached for requests", type: "requests", code: "rate_limit_exceeded" },
  },
  rate_limit_ms: {
    status: 429,
    headers: () => ({ "retry-after-ms": "1500", "retry-after": "2" }),
    error: { message: "Rate limit reached for tokens", type: "tokens", code: "rate_limit_exceeded" },
  },
  rate_limit_date: {
    status: 429,
    headers: () => ({ "retry-after": new Date(Date.now() + 30_000).toUTCString() }),
    error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" },
  },
  quota: {
    status: 429,
    error: { message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" },
  },
  server_error: {
    status: 500,
    headers: () => ({ "retry-after": "1" }),
    error: { message: "The server had an error while processing your request.", type: "server_error", code: null },
  },
  unavailable: { status: 503, error: { message: "The engine is currently overloaded.", type: "server_error", code: null } },
  bad_request: {
    status: 400,
    error: { message: "Invalid schema for response_format 'plan'", type: "invalid_request_error", code: "invalid_value" },
  },
  not_found: {
    status: 404,
    error: { message: "The model `nope` does not exist", type: "invalid_request_error", code: "model_not_found" },
  },
  /** The same 401 a wrong key gets, for runs whose key is fixed by their bindings. */
  bad_key: {
    status: 401,
    error: { message: "Incorrect API key provided: sk-b***", type: "invalid_request_error", code: "invalid_api_key" },
  },
  forbidden: { status: 403, error: { message: "Project does not have access", type: "invalid_request_error", code: null } },
};

interface Scenario {
  spec: string;
  name: string;
}

export async function startFakeOpenAI(port = 0): Promise<FakeOpenAI> {
  const log = new Map<string, Body[]>();
  const seen = new Map<string, number>();
  const sockets = new Set<import("node:net").Socket>();

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(error), type: "fake_failure" } }));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    if (req.method === "GET" && url.pathname.startsWith("/__log/")) {
      const spec = decodeURIComponent(url.pathname.slice("/__log/".length));
      return json(res, 200, { requests: log.get(spec) ?? [] });
    }
    const match = /^(?:\/s\/([^/]+))?\/v1\/(chat\/completions|embeddings|moderations)$/.exec(url.pathname);
    if (req.method !== "POST" || !match) return json(res, 404, { error: { message: "unknown route", type: "invalid_request_error" } });
    const body = JSON.parse(await readBody(req)) as Body;
    const route = match[2];
    const spec = match[1] ? decodeURIComponent(match[1]) : specFromMessages(body);
    // Moderation requests are logged apart, so a run's plan and answer requests keep their order.
    const record = route === "moderations" ? `moderation:${spec ?? "default"}` : (spec ?? "default");
    log.set(record, [...(log.get(record) ?? []), body]);

    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer sk-test")) {
      return json(res, 401, {
        error: { message: "Incorrect API key provided: sk-b***", type: "invalid_request_error", code: "invalid_api_key" },
      });
    }
    const scenario = activeScenario(spec, body, route === "moderations");
    const failure = scenario ? ERROR_SCENARIOS[scenario.name] : undefined;
    if (failure) {
      return json(res, failure.status, { error: failure.error }, failure.headers?.() ?? {});
    }
    if (route === "embeddings") return embeddings(res, body, scenario?.name);
    if (route === "moderations") return moderations(res, body);
    if (body.stream !== true) return json(res, 400, { error: { message: "the fake only streams", type: "invalid_request_error" } });
    return streamCompletion(req, res, body, scenario?.name ?? "text");
  }

  /** The scenario in force for this request, counting `_once` uses per spec. */
  function activeScenario(spec: string | undefined, body: Body, moderation: boolean): Scenario | null {
    if (!spec) return null;
    const [nameAndKey = "", target = "any"] = spec.split("/");
    const name = nameAndKey.split("@")[0] ?? "";
    // A moderation request is affected only by a scenario aimed at it (`/moderation`), and vice versa.
    if (moderation !== (target === "moderation")) return null;
    const isPlan = body.response_format !== undefined || Array.isArray(body.tools);
    if ((target === "plan" && !isPlan) || (target === "answer" && isPlan)) return null;
    if (name === "ungrounded_then_cited") {
      // The first answer is ungrounded; every later one (a regeneration) cites its evidence.
      const uses = seen.get(spec) ?? 0;
      seen.set(spec, uses + 1);
      return { spec, name: uses === 0 ? "ungrounded" : "cited" };
    }
    if (!name.endsWith("_once")) return { spec, name };
    const uses = seen.get(spec) ?? 0;
    seen.set(spec, uses + 1);
    return uses === 0 ? { spec, name: name.slice(0, -"_once".length) } : null;
  }

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function specFromMessages(body: Body): string | undefined {
  // A moderation request carries its text as `input`.
  if (typeof body.input === "string") return /\[\[fake:([^\]]+)\]\]/.exec(body.input)?.[1];
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const message of messages) {
    const content = typeof message === "object" && message !== null && !Array.isArray(message) ? message.content : null;
    const found = typeof content === "string" ? /\[\[fake:([^\]]+)\]\]/.exec(content) : null;
    if (found?.[1]) return found[1];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Chat completions

async function streamCompletion(req: http.IncomingMessage, res: http.ServerResponse, body: Body, scenario: string): Promise<void> {
  const model = typeof body.model === "string" ? body.model : "unknown";
  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true && scenario !== "no_usage";
  const promptChars = (Array.isArray(body.messages) ? body.messages : []).reduce<number>(
    (sum, m) => sum + (isObject(m) && typeof m.content === "string" ? m.content.length : 0),
    0,
  );
  let aborted = false;
  res.on("close", () => {
    aborted = true;
  });

  if (scenario === "slow_headers") await sleep(5_000);
  if (aborted) return;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  res.flushHeaders();

  const chunk = (choices: Json[], usage: Json = null) =>
    `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model, choices, usage })}\n\n`;
  const delta = (d: Body, finish: string | null = null) => chunk([{ index: 0, delta: d, finish_reason: finish }]);
  // A stream about to break is paced so a consumer has shown part of it before it breaks.
  const pace = scenario === "broken_stream" ? 150 : 5;
  const send = async (text: string) => {
    if (aborted) return;
    res.write(text);
    await sleep(pace);
  };

  await send(delta({ role: "assistant", content: "" }));
  const tools = Array.isArray(body.tools) ? body.tools : [];
  let pieces = 0;
  let finish = "stop";

  if (scenario === "tool_calls" || scenario === "bad_tool_args") {
    finish = "tool_calls";
    const calls = tools.slice(0, 2).map((tool, index) => {
      const fn = isObject(tool) && isObject(tool.function) ? tool.function : {};
      const name = typeof fn.name === "string" ? fn.name : `tool_${index}`;
      const args = scenario === "bad_tool_args" ? '{"expression": "2 +' : JSON.stringify(exampleOf(fn.parameters));
      return { index, name, args };
    });
    for (const call of calls) {
      await send(delta({ tool_calls: [{ index: call.index, id: `call_${call.index}`, type: "function", function: { name: call.name, arguments: "" } }] }));
      // Arguments arrive in small fragments, as the real API sends them.
      for (let at = 0; at < call.args.length; at += 7) {
        await send(delta({ tool_calls: [{ index: call.index, function: { arguments: call.args.slice(at, at + 7) } }] }));
        pieces++;
      }
    }
  } else {
    const answer = scenario === "ungrounded" ? UNGROUNDED_DELTAS : scenario === "cited" ? citedDeltas(body) : FAKE_ANSWER_DELTAS;
    const text = isObject(body.response_format) ? JSON.stringify(structuredAnswer(body.response_format, scenario)) : answer.join("");
    const deltas = isObject(body.response_format) ? splitEvery(text, 9) : answer;
    for (const [index, piece] of deltas.entries()) {
      if (scenario === "slow_stream" && index === 1) await sleep(5_000);
      if (scenario === "garbled" && index === 2) {
        await send('data: {"id":"chatcmpl-fake","choices":[{"index":0,"delta":{"content":"cut\n\n');
        break;
      }
      await send(delta({ content: piece }));
      pieces++;
      if (scenario === "broken_stream" && index === 1) {
        // Drop the connection mid-answer: no finish_reason, no [DONE], no clean end of body.
        req.socket.destroy();
        return;
      }
      if (scenario === "stream_error" && index === 1) {
        await send(`data: ${JSON.stringify({ error: { message: "The server is overloaded", type: "server_error", code: null } })}\n\n`);
        res.end();
        return;
      }
      if (scenario === "truncated" && index === 1) {
        res.end();
        return;
      }
    }
    if (scenario === "length") finish = "length";
  }
  if (aborted) return;
  await send(delta({}, finish));
  if (includeUsage) await send(chunk([], { prompt_tokens: promptChars, completion_tokens: pieces, total_tokens: promptChars + pieces }));
  await send("data: [DONE]\n\n");
  res.end();
}

/**
 * A plan that saves a note whose text hides a bidi override and a zero-width space (scenario
 * `plan_note_bidi`): what an approver must be warned about.
 */
export const BIDI_NOTE_PLAN = {
  steps: ["save the note"],
  needs_retrieval: false,
  tool_intents: [{ tool: "notes.save", args: { title: "invoice", text: "pay ann\u202Eexe.gnp\u202C to\u200bday" } }],
};

/** The structured answer for a `json_schema` request: the plan, or an instance of the schema. */
function structuredAnswer(format: Body, scenario: string): Json {
  const schema = isObject(format.json_schema) ? format.json_schema : {};
  if (schema.name === "plan") return scenario === "plan_note_bidi" ? BIDI_NOTE_PLAN : FAKE_PLAN;
  return exampleOf(schema.schema);
}

/** A value that satisfies a simple JSON schema: the fake's answer to structured requests. */
function exampleOf(schema: Json | undefined, name = "value"): Json {
  if (!isObject(schema)) return null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] ?? null;
  switch (schema.type) {
    case "object": {
      const properties = isObject(schema.properties) ? schema.properties : {};
      return Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, exampleOf(value, key)]));
    }
    case "array":
      return [];
    case "string":
      return `fake-${name}`;
    case "number":
    case "integer":
      return 1;
    case "boolean":
      return true;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Moderations

/** The categories OpenAI's moderation models report. */
const MODERATION_CATEGORIES = ["harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "sexual/minors", "violence", "violence/graphic"];

/**
 * A moderation result: text containing `[[moderation:<category>]]` is flagged in that category
 * (score 0.97), anything else is clean (every score 0.001).
 */
function moderations(res: http.ServerResponse, body: Body): void {
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input ?? "")];
  const results = inputs.map((text) => {
    const flaggedAs = [...text.matchAll(/\[\[moderation:([a-z/-]+)\]\]/g)].map((m) => m[1] ?? "");
    const categories: Body = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, flaggedAs.includes(c)]));
    const scores: Body = Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, flaggedAs.includes(c) ? 0.97 : 0.001]));
    return { flagged: flaggedAs.length > 0, categories, category_scores: scores, category_applied_input_types: {} };
  });
  json(res, 200, { id: "modr-fake", model: typeof body.model === "string" ? body.model : "omni-moderation-latest", results });
}

// ---------------------------------------------------------------------------------------------
// Embeddings

function embeddings(res: http.ServerResponse, body: Body, scenario: string | undefined): void {
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
  const base = typeof body.dimensions === "number" ? body.dimensions : 1536;
  const dimensions = scenario === "wrong_dimensions" ? base - 1 : base;
  const data = inputs.map((text, index) => {
    const vector = fakeVector(text, dimensions);
    const embedding =
      body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector;
    return { object: "embedding", index, embedding };
  });
  // Out of order on purpose: clients must place vectors by `index`.
  data.reverse();
  json(res, 200, { object: "list", data, model: body.model ?? null, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } });
}

/** A deterministic unit vector derived from the text (FNV-1a seeded values). */
export function fakeVector(text: string, dimensions: number): number[] {
  let hash = 0x811c9dc5;
  for (const char of text) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  const values: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    hash = Math.imul(hash ^ i, 0x01000193) >>> 0;
    values.push((hash / 0xffffffff) * 2 - 1);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => Math.fround(value / norm));
}

// ---------------------------------------------------------------------------------------------

function json(res: http.ServerResponse, status: number, payload: Json, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(payload));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function splitEvery(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
