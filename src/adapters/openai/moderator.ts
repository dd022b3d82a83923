/**
 * The `Moderator` port over OpenAI's moderation endpoint (or a compatible one): one more input
 * layer on the user's message (steps/receive.ts). Failures are classified like model calls
 * (sdk.ts `failure`): a 429 or 5xx is retryable, so the receive step retries it as events; a 401
 * is terminal. A response that is not a moderation result is a retryable `model_invalid_output`.
 */
import { z } from "zod";
import { StepError } from "../../engine/errors";
import type { ModerationResult, Moderator } from "../../engine/ports";
import { callDeadline } from "./call-deadline";
import { OPENAI_PROVIDER, createModeration, failure, sdkClient } from "./sdk";
import type { FetchFn } from "./sdk";

export interface OpenAIModeratorOptions {
  apiKey: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  fetch: FetchFn;
  now?: (() => number) | undefined;
}

const ModerationResponse = z.object({
  model: z.string().optional(),
  results: z
    .array(
      z.object({
        flagged: z.boolean(),
        categories: z.record(z.string(), z.boolean().nullable()).default({}),
        category_scores: z.record(z.string(), z.number().nullable()).default({}),
      }),
    )
    .min(1),
});

export function createOpenAIModerator(options: OpenAIModeratorOptions): Moderator {
  const client = sdkClient(options);
  const now = options.now ?? Date.now;
  return {
    provider: OPENAI_PROVIDER,
    async moderate({ text, signal }): Promise<ModerationResult> {
      const call = callDeadline(signal, options.timeoutMs);
      let raw: unknown;
      try {
        raw = await createModeration(client, { model: options.model, input: text }, call.signal, options.timeoutMs);
      } catch (error) {
        throw failure(error, "request", call, now());
      } finally {
        call.dispose();
      }
      const parsed = ModerationResponse.safeParse(raw);
      if (!parsed.success) throw StepError.retryable("model_invalid_output", "the moderation response is not a moderation result");
      const results = parsed.data.results;
      const categories = [...new Set(results.flatMap((r) => Object.entries(r.categories).filter(([, on]) => on === true).map(([name]) => name)))];
      const score = Math.max(0, ...results.flatMap((r) => Object.values(r.category_scores).filter((v): v is number => typeof v === "number")));
      return {
        flagged: results.some((r) => r.flagged),
        categories,
        score,
        model: parsed.data.model ?? options.model,
        provider: OPENAI_PROVIDER,
      };
    },
  };
}
