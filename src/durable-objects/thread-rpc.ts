/**
 * The ThreadObject's RPC surface as shapes: what the api worker sends it (parsed with zod on
 * arrival: an RPC is a trust boundary) and what it answers.
 */
import { z } from "zod";
import { StartInput } from "../engine/commands/start";
import { Multitask } from "../engine/threads/shapes";

/** The request of a new message: the run's start input without its place in the thread. */
export const ThreadRunRequest = StartInput.omit({ thread: true, history: true });
export type ThreadRunRequest = z.infer<typeof ThreadRunRequest>;

export const PostInput = z.object({ request: ThreadRunRequest, multitask: Multitask, thread_id: z.string() });
export type PostInput = z.input<typeof PostInput>;

export type PostReply =
  | { outcome: "created" | "existing"; run_id: string; turn: number; status: string }
  | { outcome: "not_found" }
  | { outcome: "busy" }
  | { outcome: "conflict" };

export const CreateInput = z.object({
  thread_id: z.string(),
  tenant_id: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});

const Position = z.object({ turn: z.number().int().min(0), seq: z.number().int().min(0) });

export const StreamInput = z.object({ after: Position, follow: z.boolean() });
export const PageInput = z.object({ after: Position, limit: z.number().int().min(1).max(1000) });

export interface ThreadEventsPage {
  events: unknown[];
  /** `<turn>.<seq>` of the last event in the page (the request's cursor when it is empty). */
  next_after: string;
  /** The page reaches the end of the thread's log and nothing in the thread is running or queued. */
  done: boolean;
}
