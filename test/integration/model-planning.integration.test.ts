/**
 * Planning through the real SDK: the request the prompts build goes to the fake server, and what
 * streams back is parsed into a plan, by structured output and by tool calling.
 */
import { calculatorTool, groundingFor } from "../support/model-fixtures";
import { describe, expect, inject, it } from "vitest";
import { createOpenAIModelClient } from "../../src/adapters/openai/model-client";
import { parsePlan } from "../../src/engine/model/plan-output";
import { planningRequest } from "../../src/engine/model/prompts";
import type { Grounding } from "../../src/engine/ports";

const origin = inject("fakeOpenAIUrl");

const grounding: Grounding = groundingFor("What is 6 * 7?", { tools: [calculatorTool], knowledge_chunks: 12 });

function client(spec: string) {
  return createOpenAIModelClient({
    apiKey: "sk-test-planning",
    baseURL: `${origin}/s/${encodeURIComponent(spec)}/v1`,
    modelFor: () => "fake-planner",
    timeoutMs: 5_000,
    fetch: (input, init) => fetch(input, init),
  });
}

describe("planning with a model", () => {
  it("structured output: the plan schema goes out, a plan comes back", async () => {
    const request = planningRequest(grounding);
    const response = await client("text@structured-plan").complete({
      ...request,
      capability: "planning",
      signal: new AbortController().signal,
    });
    expect(parsePlan(response, grounding.tools)).toEqual({
      steps: ["answer the question"],
      needs_retrieval: false,
      tool_intents: [],
      rejected: [],
    });
  });

  it("tool calling: streamed calls become tool intents and a retrieval request", async () => {
    const request = planningRequest(grounding, "tools");
    const response = await client("tool_calls@tools-plan").complete({
      ...request,
      capability: "planning",
      signal: new AbortController().signal,
    });
    expect(parsePlan(response, grounding.tools)).toEqual({
      steps: ["call calculator.evaluate", "retrieve evidence", "compose the answer"],
      needs_retrieval: true,
      tool_intents: [{ tool: "calculator.evaluate", args: { expression: "fake-expression" } }],
      rejected: [],
    });
  });
});
