/**
 * Shapes of the api's answers that no engine module owns: the event envelope of every catalogued
 * type (CONTRACT.md "The event envelope", "Event catalogue") as one discriminated union, the JSON
 * events page, an SSE message once parsed, `/healthz` and `/openapi.json`. `/openapi.json`
 * documents them (openapi.ts); the response test validates real answers against that document.
 */
import { z } from "zod";
import { EVENT_DATA, EVENT_TYPES, Seq } from "../engine/events";
import type { EventType } from "../engine/events";

const envelopeFields = {
  run_id: z.string().describe("The run's id; on a knowledge stream, the stream's id"),
  seq: Seq.min(1).describe("Position in the log: contiguous from 1"),
  ts: z.string().describe("When the event was written, ISO 8601 UTC with milliseconds"),
  span_id: z.string().optional().describe("The span the event belongs to"),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .describe("SHA-256 of the previous event's hash and this envelope's canonical JSON without `hash`"),
};

/** `run.started` → `RunStartedEvent`: the component name of an event type's envelope. */
export function eventComponentName(type: string): string {
  return `${type
    .split(/[._]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("")}Event`;
}

/** The envelope of each event type, with that type's `data`. */
export const EVENT_ENVELOPES: ReadonlyMap<EventType, z.ZodObject> = new Map(
  EVENT_TYPES.map((type) => [type, z.object({ ...envelopeFields, type: z.literal(type), data: EVENT_DATA[type] })]),
);

const envelopes = [...EVENT_ENVELOPES.values()];

/** Any event of a run's (or a knowledge stream's) log, told apart by `type`. */
export const RunEventSchema = z
  .discriminatedUnion("type", envelopes as [z.ZodObject, ...z.ZodObject[]])
  .describe("An event of the log (CONTRACT.md \"Event catalogue\"): the envelope, with `data` by `type`");

export const EventsPage = z.object({
  events: z.array(RunEventSchema),
  next_after: z.number().int().min(0).describe("The cursor for the next page (`after=`)"),
  done: z.boolean().describe("True when this page reaches the end of the log and the run has ended"),
});

/**
 * One SSE message as a client's parser hands it over, with `data` parsed as JSON. Every stream
 * opens with a message that has only `retry`; each event is one message with `id`, `event`, `data`.
 */
export const SseMessage = z.union([
  z.object({ retry: z.number().int().min(0).describe("Milliseconds a client waits before it reconnects") }).describe("The stream's first frame"),
  z
    .object({
      id: z.string().regex(/^\d+$/).describe("The event's `seq` (the `Last-Event-ID` to resume after it)"),
      event: z.enum(EVENT_TYPES).describe("The event's `type`: listen with `addEventListener(type)`, not `onmessage`"),
      data: RunEventSchema,
    })
    .describe("One event"),
]);

/** A message of a thread's stream: as a run's, but its `id` is `<turn>.<seq>`. */
export const ThreadSseMessage = z.union([
  z.object({ retry: z.number().int().min(0).describe("Milliseconds a client waits before it reconnects") }).describe("The stream's first frame"),
  z
    .object({
      id: z
        .string()
        .regex(/^\d+\.\d+$/)
        .describe("`<turn>.<seq>`: the turn of the event's run in the thread, and the event's `seq` (the `Last-Event-ID` to resume after it)"),
      event: z.enum(EVENT_TYPES).describe("The event's `type`: listen with `addEventListener(type)`, not `onmessage`"),
      data: RunEventSchema,
    })
    .describe("One event of one of the thread's runs"),
]);

/** The text of a `text/event-stream` body, for the OpenAPI document. */
export const SSE_FORMAT = [
  "Server-Sent Events (the HTML living standard's format), UTF-8. Frames are separated by a blank line:",
  "- first, `retry: <ms>` alone;",
  "- then one message per event: `id: <seq>`, `event: <type>`, `data: <the event envelope as one line of JSON>`;",
  "- `: ping` comment lines while idle (at least every 15 s).",
  "Each message, parsed, is described by `x-item-schema` (OpenAPI 3.2's `itemSchema`, as an extension here).",
].join("\n");

export const HealthResponse = z.object({
  status: z.literal("ok"),
  auth: z
    .enum(["dev", "keys", "misconfigured", "not_configured"])
    .describe("`dev`: no keys configured, loopback hosts only; `not_configured`: no keys and another host"),
  model: z.object({ provider: z.string() }),
  retrieval: z.object({ backend: z.string(), embedder: z.string() }),
  limits: z.object({
    max_tool_calls: z.number().int(),
    max_wall_time_ms: z.number().int(),
    tool_wait_ms: z.number().int(),
    approval_ttl_ms: z.number().int(),
    rate_limit_runs_per_min: z.number().int(),
    max_active_runs: z.number().int(),
  }),
  guardrails: z
    .object({
      rule_set: z.string(),
      status: z.enum(["ok", "misconfigured"]),
      moderation: z.string(),
      injection: z.record(z.string(), z.string()),
      link_allowlist: z.number().int(),
    })
    .describe("The guardrail layers' rule set and policies (never secrets)"),
  config_warnings: z.array(z.string()).optional().describe("Settings that were ignored, and why"),
  time: z.string(),
});

/** `/openapi.json`: an OpenAPI 3.1 document (described only at its top level). */
export const OpenApiDocumentShape = z
  .object({
    openapi: z.string().regex(/^3\.1\.\d+$/),
    info: z.object({ title: z.string(), version: z.string() }).loose(),
    paths: z.record(z.string(), z.unknown()),
  })
  .loose();
