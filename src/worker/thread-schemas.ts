/**
 * The thread endpoints' shapes (CONTRACT.md "Threads"), as zod schemas: the routes validate with
 * them and `/openapi.json` documents the same objects.
 */
import { z } from "zod";
import { Multitask, ThreadView } from "../engine/threads/shapes";
import { ThreadCursorText } from "../engine/threads/cursor";
import { MAX_CONTEXT_DEPTH, StartRunBody, nestedAtMost } from "./schemas";

const utf8Bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;

export const CreateThreadBody = z.object({
  metadata: z
    .record(z.string(), z.unknown(), { error: "must be an object" })
    .refine((m) => nestedAtMost(m, MAX_CONTEXT_DEPTH), {
      message: `must nest objects and arrays at most ${MAX_CONTEXT_DEPTH} levels deep`,
      abort: true,
    })
    .refine((m) => utf8Bytes(m) <= 4 * 1024, "must be at most 4 KiB as JSON")
    .default({}),
});

export const CreateThreadResponse = z.object({ thread_id: z.string(), events_url: z.string() });

export const ListThreadsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).optional(),
});

export const ThreadSummary = z.object({
  thread_id: z.string(),
  status: z.enum(["idle", "busy"]),
  turns: z.number().int(),
  title: z.string(),
  updated_at: z.string(),
});
export const ListThreadsResponse = z.object({ threads: z.array(ThreadSummary), next_cursor: z.string().nullable() });

export { ThreadView as ThreadResponse };

/** The body of POST /runs, plus what happens when the thread is busy. */
export const ThreadRunBody = StartRunBody.extend({ multitask: Multitask.default("enqueue") });
export type ThreadRunBody = z.infer<typeof ThreadRunBody>;

export const ThreadRunResponse = z.object({
  run_id: z.string(),
  thread_id: z.string(),
  turn: z.number().int(),
  status: z.string(),
  events_url: z.string(),
  state_url: z.string(),
  /** With keys configured: a token that opens this run's events from a browser (`?access_token=`). */
  stream_token: z.string().optional(),
});

export const ThreadEventsQuery = z.object({
  format: z.enum(["sse", "json"]).default("sse"),
  after: ThreadCursorText.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  follow: z.enum(["true", "false"]).default("true"),
  /** A stream token for this thread (POST /threads/{thread_id}/stream-token), for a browser's EventSource. */
  access_token: z.string().optional(),
});

export const ThreadEventsPageResponse = z.object({
  events: z.array(z.record(z.string(), z.unknown())),
  next_after: z.string(),
  done: z.boolean(),
});
