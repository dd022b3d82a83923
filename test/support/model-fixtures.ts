/** Shared fixtures for the model tests: a grounding, the calculator's descriptor, the fake's log. */
import { expect, inject } from "vitest";
import { StepError } from "../../src/engine/errors";
import type { Grounding } from "../../src/engine/ports";
import type { ToolDescriptor } from "../../src/engine/tool-protocol";

export const calculatorTool: ToolDescriptor = {
  name: "calculator.evaluate",
  server: "calculator",
  tool: "evaluate",
  description: "Evaluate an arithmetic expression",
  input_schema: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
  annotations: {},
  read_only: true,
  scope: "runs:write",
  approval: "auto",
};

/** A grounding with nothing in it but the message, for tests to extend. */
export function groundingFor(message: string, extra: Partial<Grounding> = {}): Grounding {
  return { message, mode: "chat", tools: [], knowledge_chunks: 0, chunks: [], tool_results: [], feedback: [], ...extra };
}

/** The request bodies the fake OpenAI server received for one scenario spec. */
export async function fakeRequestsFor(spec: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${inject("fakeOpenAIUrl")}/__log/${encodeURIComponent(spec)}`);
  const body: { requests: Record<string, unknown>[] } = await response.json();
  return body.requests;
}

/** The StepError a call fails with (fails the test if it resolves or throws anything else). */
export async function stepError(promise: Promise<unknown>): Promise<StepError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepError);
  return error as StepError;
}
