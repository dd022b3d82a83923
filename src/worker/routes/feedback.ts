/** `POST /feedback`: thumbs up or down on one of the tenant's runs, recorded by the run itself. */
import { systemIds } from "../../adapters/system";
import { ApiError } from "../errors";
import { route } from "../router";
import type { RouteDef } from "../router";
import { FeedbackBody, FeedbackResponse } from "../schemas";
import { callRun } from "./runs";

export const feedbackRoutes: RouteDef[] = [
  route(
    {
      method: "post",
      path: "/feedback",
      operationId: "recordFeedback",
      tags: ["feedback"],
      summary: "Record thumbs up or down on a run",
      scope: "feedback:write",
      body: FeedbackBody,
      responses: { 201: { description: "Recorded", schema: FeedbackResponse }, 404: { description: "No such run" } },
    },
    async (c, { principal, body }) => {
      const feedbackId = systemIds.feedback();
      const result = await callRun(c, principal, body.run_id, async (stub) => {
        const outcome = await stub.feedback({ feedback_id: feedbackId, user_id: principal.user_id, rating: body.rating, comment: body.comment ?? null });
        return outcome.outcome;
      });
      if (result !== "recorded") throw new ApiError("not_found", "run not found");
      return c.json({ feedback_id: feedbackId }, 201);
    },
  ),
];
