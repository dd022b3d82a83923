/**
 * `feedback`: a thumbs up or down on a run, recorded as `feedback.recorded` (it may follow the
 * terminal event) and written to the feedback table through the outbox. Idempotent on the id.
 */
import { z } from "zod";
import { Rating, newEvent } from "../events";
import type { CommandRefusal, DecideContext, Decision, RunView } from "./decision";
import { notFound } from "./decision";

export const FeedbackInput = z.object({
  feedback_id: z.string().min(1),
  user_id: z.string().min(1),
  rating: Rating,
  comment: z.string().nullable(),
});
export type FeedbackInput = z.infer<typeof FeedbackInput>;

export type FeedbackReply = { outcome: "recorded"; feedback_id: string } | CommandRefusal;

export function decideFeedback(view: RunView, input: FeedbackInput, ctx: DecideContext): Decision<FeedbackReply> {
  const { state } = view;
  if (state === null) return notFound;
  const reply = { outcome: "recorded" as const, feedback_id: input.feedback_id };
  // A retried call with the same id records nothing twice.
  if (state.feedback.some((f) => f.feedback_id === input.feedback_id)) return { reply };
  return {
    reply,
    commit: {
      events: [newEvent("feedback.recorded", { feedback_id: input.feedback_id, rating: input.rating })],
      outbox: [
        {
          kind: "feedback.insert",
          row: {
            feedback_id: input.feedback_id,
            tenant_id: state.tenant_id,
            run_id: state.run_id,
            user_id: input.user_id,
            rating: input.rating,
            comment: input.comment,
            created_at: ctx.now.iso,
          },
        },
      ],
    },
    effects: [{ kind: "flush" }, { kind: "rearm" }],
  };
}
