/**
 * The run's model client, chosen from the settings: the OpenAI adapter when a key is configured,
 * the deterministic offline model without one, and with a malformed configuration a client whose
 * every call fails with a terminal `model_config` error naming the key, so that the run ends in a
 * `run.failed` that says what to fix instead of the object failing to start.
 */
import { StepError } from "../engine/errors";
import { createModelRouter } from "../engine/model/router";
import type { ModelClient, Moderator } from "../engine/ports";
import type { ModelSettings, ModerationSettings } from "./api-settings";
import { createOpenAIModelClient } from "./openai/model-client";
import { createOpenAIModerator } from "./openai/moderator";
import type { FetchFn } from "./openai/sdk";

export function createModelClient(
  settings: ModelSettings,
  fetch: FetchFn,
  offline: () => ModelClient,
  options: { now?: () => number } = {},
): ModelClient {
  switch (settings.provider) {
    case "offline":
      return offline();
    case "openai":
      return createOpenAIModelClient({
        apiKey: settings.apiKey,
        baseURL: settings.baseURL,
        modelFor: createModelRouter(settings.models),
        timeoutMs: settings.timeoutMs,
        fetch,
        now: options.now,
      });
    case "misconfigured": {
      const error = StepError.terminal("model_config", settings.error);
      return { provider: "openai", modelFor: () => "unconfigured", complete: () => Promise.reject(error) };
    }
  }
}

/** The moderation layer from the settings: OpenAI's endpoint when configured, else none. */
export function createModerator(settings: ModerationSettings, fetch: FetchFn): Moderator | null {
  if (settings === null) return null;
  return createOpenAIModerator({ apiKey: settings.apiKey, baseURL: settings.baseURL, model: settings.model, timeoutMs: settings.timeoutMs, fetch });
}
