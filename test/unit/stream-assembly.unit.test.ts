import { describe, expect, it } from "vitest";
import { StepError } from "../../src/engine/errors";
import { StreamAssembly } from "../../src/adapters/openai/stream-assembly";

describe("StreamAssembly", () => {
  it("returns each chunk's added text and folds usage, finish reason and model", () => {
    const assembly = new StreamAssembly();
    expect(assembly.push({ model: "m-1", choices: [{ index: 0, delta: { role: "assistant", content: "" } as never }] })).toBe("");
    expect(assembly.push({ choices: [{ index: 0, delta: { content: "Hel" } }] })).toBe("Hel");
    expect(assembly.push({ choices: [{ index: 0, delta: { content: "lo" }, finish_reason: "stop" }] })).toBe("lo");
    expect(assembly.push({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 2 } })).toBe("");
    expect(assembly.finish()).toEqual({
      text: "Hello",
      toolCalls: [],
      usage: { input_tokens: 12, output_tokens: 2 },
      finishReason: "stop",
      model: "m-1",
    });
  });

  it("interleaved fragments of parallel tool calls are assembled per index, in index order", () => {
    const assembly = new StreamAssembly();
    const call = (index: number, fn: { name?: string; arguments?: string }, id?: string) =>
      assembly.push({ choices: [{ index: 0, delta: { tool_calls: [{ index, id, function: fn }] } }] });
    call(1, { name: "notes__list", arguments: "" }, "call_b");
    call(0, { name: "calculator__evaluate", arguments: '{"expr' }, "call_a");
    call(1, { arguments: "{}" });
    call(0, { arguments: 'ession":"1+' });
    call(0, { arguments: '2"}' });
    assembly.push({ choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] });
    expect(assembly.finish().toolCalls).toEqual([
      { name: "calculator__evaluate", arguments: { expression: "1+2" } },
      { name: "notes__list", arguments: {} },
    ]);
  });

  it("ignores choices other than the first", () => {
    const assembly = new StreamAssembly();
    expect(assembly.push({ choices: [{ index: 1, delta: { content: "other" } }, { index: 0, delta: { content: "mine" } }] })).toBe("mine");
  });

  it("a refusal is text the user sees", () => {
    const assembly = new StreamAssembly();
    expect(assembly.push({ choices: [{ index: 0, delta: { refusal: "I can't help with that." } }] })).toBe("I can't help with that.");
  });

  it("has no finish reason and no usage when the stream stopped early", () => {
    const assembly = new StreamAssembly();
    assembly.push({ choices: [{ index: 0, delta: { content: "partial" } }] });
    expect(assembly.finish()).toMatchObject({ finishReason: null, usage: null });
  });

  it.each([['{"a":', "not valid JSON"], ["[1,2]", "not a JSON object"], ['"text"', "not a JSON object"]])(
    "arguments %s are a retryable model_invalid_output",
    (args, why) => {
      const assembly = new StreamAssembly();
      assembly.push({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: "t", arguments: args } }] } }] });
      let error: unknown;
      try {
        assembly.finish();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StepError);
      expect(error).toMatchObject({ code: "model_invalid_output", retryable: true });
      expect((error as StepError).message).toContain(why);
    },
  );
});
