/**
 * A position in a thread's event stream: `<turn>.<seq>`, the SSE id of the last event a client has
 * (`3.17`: event 17 of turn 3). `0` (or `0.0`) is the start. Anything else is refused, never
 * guessed at: `3.x`, `-1.2`, `1e3.1`, `3.` are malformed.
 */
import { z } from "zod";

export interface ThreadCursor {
  turn: number;
  seq: number;
}

export const THREAD_START: ThreadCursor = { turn: 0, seq: 0 };

export const ThreadCursorText = z
  .string()
  .trim()
  .regex(/^(?:0|\d{1,9}\.\d{1,15})$/, "must be <turn>.<seq> (for example 3.17), or 0 for the start")
  .transform((text): ThreadCursor => {
    const [turn = "0", seq = "0"] = text.split(".");
    return { turn: Number(turn), seq: Number(seq) };
  })
  .refine((c) => Number.isSafeInteger(c.seq), "seq is too large");

export function formatThreadCursor(cursor: ThreadCursor): string {
  return `${cursor.turn}.${cursor.seq}`;
}
