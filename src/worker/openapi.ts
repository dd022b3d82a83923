/**
 * `/openapi.json`: an OpenAPI 3.1 document generated from the route declarations (router.ts) and
 * the very zod schemas that validate requests and shape answers, so the description cannot drift
 * from the behaviour.
 *
 * - Every named shape is a component (`#/components/schemas/...`): request bodies as clients send
 *   them, answers as the api writes them; the event catalogue is `RunEvent`, a `oneOf` of one
 *   envelope per event type with a `type` discriminator.
 * - Every error response, declared or implied by the route (400 for a query, body or header; 401,
 *   403 and 503 for an authenticated route; 404 for a path with ids; 413 and 415 for a body; 429
 *   with `Retry-After`; anything else as `default`) has the one `Error` schema.
 * - A `text/event-stream` answer is a string whose frames are described in prose, with the schema
 *   of one parsed message as `x-item-schema` (OpenAPI 3.2's `itemSchema`; 3.1 has no such field).
 */
import { z } from "zod";
import { ErrorResponse } from "./errors";
import { EVENT_ENVELOPES, EventsPage, RunEventSchema, SseMessage, ThreadSseMessage, eventComponentName } from "./response-schemas";
import type { MediaDoc, ResponseDoc, RouteDef } from "./router";
import { OtlpAnyValue, OtlpKeyValue, OtlpSpan, OtlpTraceExport } from "../engine/otlp";
import { RunState } from "../engine/state";
import { Span, SpanNode, TraceSummary } from "../engine/trace";
import { ToolDescriptor } from "../engine/tool-protocol";
import { WorkflowState } from "../engine/workflow";

type JsonSchema = Record<string, unknown>;
type Registry = z.core.$ZodRegistry<{ id: string }>;

const COMPONENTS = "#/components/schemas/";
const ref = (id: string): JsonSchema => ({ $ref: `${COMPONENTS}${id}` });

export const TAGS = [
  { name: "runs", description: "Start runs, read their state, approve their tool calls, cancel them" },
  { name: "events", description: "The event logs: SSE streams (replay, then live) and JSON pages" },
  { name: "traces", description: "The run's spans: a tree, a flat list, or OTLP/JSON for OpenTelemetry back ends" },
  { name: "threads", description: "Conversations: ordered runs that see the turns before them, and one stream over all of them" },
  { name: "history", description: "A run's log as an artefact: verify, sign, export, import, replay against the recorded world, fork" },
  { name: "feedback", description: "Thumbs up or down on a run" },
  { name: "tools", description: "The tools a caller may use" },
  { name: "knowledge", description: "The documents retrieval searches" },
  { name: "meta", description: "Liveness and this description" },
];

/** Answers' shapes with a stable name of their own (shared by several routes, or recursive). */
const NAMED_OUTPUTS: [z.ZodType, string][] = [
  [ErrorResponse, "Error"],
  [RunEventSchema, "RunEvent"],
  [EventsPage, "EventsPage"],
  [SseMessage, "SseMessage"],
  [ThreadSseMessage, "ThreadSseMessage"],
  [RunState, "RunState"],
  [WorkflowState, "WorkflowState"],
  [Span, "Span"],
  [SpanNode, "SpanNode"],
  [TraceSummary, "Trace"],
  [OtlpTraceExport, "OtlpTraceExport"],
  [OtlpSpan, "OtlpSpan"],
  [OtlpAnyValue, "OtlpAnyValue"],
  [OtlpKeyValue, "OtlpKeyValue"],
  [ToolDescriptor, "ToolDescriptor"],
  ...[...EVENT_ENVELOPES].map(([type, schema]): [z.ZodType, string] => [schema, eventComponentName(type)]),
];

const ERROR_DOCS: Record<number, string> = {
  400: "The request is invalid: `invalid_request` (with `details`, one per failing field) or `invalid_json`",
  401: "`unauthorized`: no key, or an unknown one",
  403: "`forbidden`: the key lacks the scope this route needs",
  404: "`not_found`: no such run (or another tenant's)",
  409: "`conflict`",
  413: "`payload_too_large`: the body is over the route's limit",
  415: "`unsupported_media_type`: the body is not `application/json`",
  429: "`rate_limited`: over a per-tenant limit; retry after `Retry-After` seconds",
  503: "`not_configured`: no keys are configured and the request is not to a loopback host",
};

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function clean(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** Every registered schema as a component; references between them by `$ref`. */
function components(registry: Registry, io: "input" | "output"): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `${COMPONENTS}${id}`, unrepresentable: "any" }) as {
    schemas: Record<string, JsonSchema>;
  };
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, clean(schema)]));
}

function register(registry: Registry, schema: z.ZodType, id: string): JsonSchema {
  const existing = registry.get(schema);
  if (existing) return ref(existing.id);
  registry.add(schema, { id });
  return ref(id);
}

function queryParameters(schema: z.ZodType | undefined): JsonSchema[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: "query",
    required: !field.safeParse(undefined).success,
    schema: clean(z.toJSONSchema(field, { io: "input", unrepresentable: "any" }) as JsonSchema),
  }));
}

function mediaObject(media: MediaDoc, outputs: Registry, name: string): JsonSchema {
  if (media.itemSchema !== undefined) {
    return { schema: { type: "string", description: media.description ?? "" }, "x-item-schema": register(outputs, media.itemSchema, `${name}Message`) };
  }
  return media.schema === undefined ? {} : { schema: register(outputs, media.schema, name) };
}

function errorResponse(status: number, description: string | undefined): JsonSchema {
  return {
    description: description === undefined ? ERROR_DOCS[status] ?? "An error" : `${ERROR_DOCS[status] ?? "An error"}: ${description}`,
    ...(status === 429 ? { headers: { "Retry-After": { $ref: "#/components/headers/Retry-After" } } } : {}),
    content: { "application/json": { schema: ref("Error") } },
  };
}

function responsesOf(def: RouteDef, outputs: Registry): Record<string, JsonSchema> {
  const { spec } = def;
  const name = capitalized(spec.operationId);
  const declared: Record<number, ResponseDoc> = spec.responses;
  const implied = new Set<number>();
  if (spec.query || spec.body || spec.headers) implied.add(400);
  if (spec.scope !== null) [401, 403, 503].forEach((s) => implied.add(s));
  if (spec.path.includes("{")) implied.add(404);
  if (spec.body) [413, 415].forEach((s) => implied.add(s));

  const responses: Record<string, JsonSchema> = {};
  const statuses = [...new Set([...Object.keys(declared).map(Number), ...implied])].sort((a, b) => a - b);
  const successes = statuses.filter((s) => s < 400);
  for (const status of statuses) {
    const doc = declared[status];
    if (status >= 400) {
      responses[status] = errorResponse(status, doc?.description);
      continue;
    }
    if (doc === undefined) continue;
    // Names: `<Operation>Response`, or `<Operation>Response<status>` when successes differ.
    const id = `${name}Response${successes.length > 1 && doc.schema !== declared[successes[0]!]?.schema ? status : ""}`;
    const content = doc.content ?? (doc.schema ? { "application/json": { schema: doc.schema } } : {});
    const media = Object.fromEntries(Object.entries(content).map(([type, m], i) => [type, mediaObject(m, outputs, i === 0 ? id : `${id}${i + 1}`)]));
    responses[status] = { description: doc.description, ...(Object.keys(media).length > 0 ? { content: media } : {}) };
  }
  responses.default = { description: "`internal` or another error, in the contract's error shape", content: { "application/json": { schema: ref("Error") } } };
  return responses;
}

export function openApiDocument(defs: RouteDef[], serverUrl: string): JsonSchema {
  const outputs: Registry = z.registry<{ id: string }>();
  const inputs: Registry = z.registry<{ id: string }>();
  for (const [schema, id] of NAMED_OUTPUTS) outputs.add(schema, { id });

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const def of defs) {
    const { spec } = def;
    const pathParams = [...spec.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const headers = (spec.headers ?? []).map((h) => ({
      name: h.name,
      in: "header",
      required: false,
      description: h.description,
      schema: clean(z.toJSONSchema(h.schema, { io: "input", unrepresentable: "any" }) as JsonSchema),
    }));
    const operation: JsonSchema = {
      operationId: spec.operationId,
      tags: spec.tags,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      parameters: [...pathParams, ...queryParameters(spec.query), ...headers],
      ...(spec.body
        ? { requestBody: { required: true, content: { "application/json": { schema: register(inputs, spec.body, `${capitalized(spec.operationId)}Request`) } } } }
        : {}),
      responses: responsesOf(def, outputs),
      ...(spec.scope === null ? { security: [] } : { "x-required-scope": spec.scope }),
    };
    (paths[spec.path] ??= {})[spec.method] = operation;
  }

  const schemas = { ...components(outputs, "output"), ...components(inputs, "input") };
  // The catalogue: say which envelope each `type` selects, so generated clients narrow on it.
  schemas.RunEvent = {
    ...schemas.RunEvent,
    discriminator: {
      propertyName: "type",
      mapping: Object.fromEntries([...EVENT_ENVELOPES.keys()].map((type) => [type, `${COMPONENTS}${eventComponentName(type)}`])),
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Run engine",
      version: "1.0.0",
      description: "Event-sourced runs for AI assistants: start runs, stream their events, approve tools.",
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    tags: TAGS,
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key from API_KEYS" } },
      headers: {
        "Retry-After": { description: "Whole seconds to wait before retrying (at least 1)", schema: { type: "integer", minimum: 1 } },
      },
      schemas,
    },
  };
}
