/**
 * The HTTP API's shapes as zod schemas: request bodies and query strings are validated with these,
 * and `/openapi.json` is generated from the very same objects (STYLE.md 4).
 */
import { z } from "zod";
import { ApprovalDecision, ApprovalPolicy, Mode, Rating, Seq } from "../engine/events";

const codePoints = (s: string) => [...s].length;
const utf8Bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

/** Deepest nesting of objects and arrays the context may have (the engine's JSON code recurses). */
export const MAX_CONTEXT_DEPTH = 64;

/** Whether `value` nests objects and arrays at most `limit` levels deep (iterative: any depth is safe). */
export function nestedAtMost(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== "object") continue;
    if (item.depth >= limit) return false;
    for (const child of Object.values(item.value)) stack.push({ value: child, depth: item.depth + 1 });
  }
  return true;
}


/** A user's message: 1 to 32,000 code points after trimming. */
export const Message = z
  .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
  .transform((s) => s.trim())
  .refine((s) => codePoints(s) >= 1, "must not be empty")
  .refine((s) => codePoints(s) <= 32_000, "must be at most 32,000 characters");

/** What a run may be asked to do differently: its approval policy and how many tools it may call. */
export const RunOptionsBody = z.object({
  approval: ApprovalPolicy.optional(),
  max_tool_calls: z.number().int().min(0).max(20).optional(),
});

export const StartRunBody = z.object({
  message: Message,
  context: z
    .record(z.string(), z.unknown(), { error: "must be an object" })
    .refine((c) => nestedAtMost(c, MAX_CONTEXT_DEPTH), {
      message: `must nest objects and arrays at most ${MAX_CONTEXT_DEPTH} levels deep`,
      abort: true,
    })
    .refine((c) => utf8Bytes(c) <= 16 * 1024, "must be at most 16 KiB as JSON")
    .default({}),
  mode: Mode.default("chat"),
  options: RunOptionsBody.default({}),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const StartRunResponse = z.object({
  run_id: z.string(),
  status: z.string(),
  events_url: z.string(),
  state_url: z.string(),
  /** With keys configured: opens this run's events as ?access_token= (see POST /runs/{run_id}/stream-token). */
  stream_token: z.string().optional(),
});

export const IdempotencyKey = z.string().min(1, "must not be empty").max(128, "must be at most 128 characters");

export const ListRunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

export const RunSummary = z.object({
  run_id: z.string(),
  status: z.string(),
  created_at: z.string(),
  message_preview: z.string(),
});
export const ListRunsResponse = z.object({ runs: z.array(RunSummary), next_cursor: z.string().nullable() });

/**
 * A position in an event stream as a client sends it (`?after=`, `Last-Event-ID`): the seq of the
 * last event it has. Every stream and page validates its cursor with this one schema.
 */
export const Cursor = z
  .string()
  .trim()
  .regex(/^\d{1,15}$/, "must be a non-negative integer")
  .transform(Number)
  .pipe(Seq);

export const EventsQuery = z.object({
  format: z.enum(["sse", "json"]).default("sse"),
  after: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  follow: z.enum(["true", "false"]).default("true"),
  /** A stream token (POST /runs/{run_id}/stream-token), for a browser's EventSource; checked by the router, listed here for the OpenAPI document. */
  access_token: z.string().optional(),
});

/** `GET /runs/{run_id}/events?format=json`: the shape lives with the other answers' shapes. */
export { EventsPage as EventsPageResponse } from "./response-schemas";

export const ApprovalBody = z.object({
  request_id: z.string().min(1).max(200),
  decision: ApprovalDecision,
  reason: z.string().max(2000).optional(),
});
export const ApprovalResponse = z.object({ run_id: z.string(), request_id: z.string(), decision: ApprovalDecision });

export const CancelResponse = z.object({ run_id: z.string(), status: z.literal("cancelled") });

export const TraceQuery = z.object({ format: z.enum(["tree", "otlp"]).default("tree") });

export const FeedbackBody = z.object({
  run_id: z.string().min(1).max(100),
  rating: Rating,
  comment: z.string().max(4000, "must be at most 4,000 characters").optional(),
});
export const FeedbackResponse = z.object({ feedback_id: z.string() });

export const ForkBody = z.object({
  at_seq: z.number({ error: "must be the seq of a step boundary or a wait" }).int().min(1),
  message: Message.optional(),
  options: RunOptionsBody.optional(),
});

export const NewRunResponse = z.object({ run_id: z.string() });

export const ManifestResponse = z.object({
  run_id: z.string(),
  tenant_id: z.string(),
  last_seq: z.number().int(),
  head_hash: z.string(),
  /** Lower-case hex HMAC-SHA-256 of the canonical JSON of the four fields above; null when unsigned. */
  signature: z.string().nullable(),
  algorithm: z.literal("HMAC-SHA256"),
  signed: z.boolean(),
});

export const ChainCheckResponse = z.object({
  valid: z.boolean(),
  last_seq: z.number().int(),
  head_hash: z.string(),
  first_bad_seq: z.number().int().nullable(),
});

