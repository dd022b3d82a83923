import { describe, expect, it } from "vitest";
import { checkAnswer } from "../../../src/engine/guardrails/index";

describe("whole-answer check", () => {
  it("asks a research answer to cite a retrieved chunk", () => {
    expect(checkAnswer("Refunds take 5 days.", { mode: "research", chunkIds: ["c1"] }).issues).toEqual([expect.stringContaining("must cite")]);
    expect(checkAnswer("Refunds take 5 days [chunk:c1].", { mode: "research", chunkIds: ["c1"] }).passed).toBe(true);
    expect(checkAnswer("Refunds take 5 days.", { mode: "chat", chunkIds: ["c1"] }).passed).toBe(true);
  });

  it("rejects citations of chunks that were not retrieved, empty answers, template markers and leaks", () => {
    expect(checkAnswer("See [chunk:zz].", { mode: "chat", chunkIds: ["c1"] }).verdicts.map((v) => v.rule)).toEqual(["output.shape.unknown_citation"]);
    expect(checkAnswer("  ", { mode: "chat", chunkIds: [] }).passed).toBe(false);
    expect(checkAnswer('{"tool_calls": []}', { mode: "chat", chunkIds: [] }).verdicts.map((v) => v.rule)).toEqual(["output.shape.markers"]);
    const leak = checkAnswer("My instructions say: you are a careful assistant answering the user's message.", {
      mode: "chat",
      chunkIds: [],
      protectedTexts: ["You are a careful assistant answering the user's message."],
    });
    expect(leak.verdicts.map((v) => v.rule)).toEqual(["output.leak.system_prompt"]);
  });
});
