/**
 * The shapes a thread (CONTRACT.md "Threads") shares with the rest of the engine: its id, the
 * overlapping-message policy, a run's place in its thread, and the notice a run sends its thread
 * when it ends. The ThreadObject and the worker parse with these at their trust boundaries.
 */
import { z } from "zod";
import { TERMINAL_STATUSES } from "../lifecycle";

export const THREAD_ID_PATTERN = /^th_[0-9A-HJKMNP-TV-Z]{26}$/;

export function isThreadId(value: string): boolean {
  return THREAD_ID_PATTERN.test(value);
}

/**
 * The Durable Object name of a thread: tenant and thread id, as for runs (ids.ts), so that a tenant
 * that learns another tenant's thread id reaches an empty thread of its own (a 404).
 */
export function threadObjectName(tenantId: string, threadId: string): string {
  return `${tenantId.length}:${tenantId}/${threadId}`;
}

/** What happens to a message that arrives while the thread is busy. */
export const Multitask = z.enum(["enqueue", "reject", "interrupt"]);
export type Multitask = z.infer<typeof Multitask>;

/** A run's place in its thread. */
export const ThreadRef = z.object({ thread_id: z.string().regex(THREAD_ID_PATTERN), turn: z.number().int().positive() });
export type ThreadRef = z.infer<typeof ThreadRef>;

/** `reason` of the `run.cancelled` of a run that a newer message in its thread interrupted. */
export const INTERRUPTED = "interrupted";

/**
 * A run in a thread ended: sent by the run (through its outbox, at least once) to its thread, which
 * records the final status and output and starts the next queued run. Idempotent on the turn.
 */
export const RunEndedNotice = z.object({
  tenant_id: z.string().min(1),
  thread_id: z.string().regex(THREAD_ID_PATTERN),
  run_id: z.string().min(1),
  turn: z.number().int().positive(),
  status: z.enum(TERMINAL_STATUSES),
  output: z.string(),
  /** Absent from a notice sent before refusals were told apart: not refused. */
  refused: z.boolean().default(false),
});
export type RunEndedNotice = z.infer<typeof RunEndedNotice>;

/** A thread's title: its first message, on one line, cut to 80 characters ("" before the first). */
export function threadTitle(firstMessage: string | null): string {
  if (firstMessage === null) return "";
  const flat = firstMessage.replace(/\s+/g, " ").trim();
  return flat.length <= 80 ? flat : `${flat.slice(0, 79)}…`;
}

/** The Thread of `GET /threads/{id}` (CONTRACT.md "Threads"). */
export const ThreadView = z.object({
  thread_id: z.string(),
  tenant_id: z.string(),
  status: z.enum(["idle", "busy"]),
  title: z.string(),
  runs: z.array(z.object({ run_id: z.string(), turn: z.number().int(), status: z.string(), message_preview: z.string() })),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ThreadView = z.infer<typeof ThreadView>;
