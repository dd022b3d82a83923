import { describe, expect, it } from "vitest";
import { composeAnswer, OfflineModel } from "../../src/engine/model/offline";
import type { Grounding } from "../../src/engine/ports";
import { verifyAnswer } from "../../src/engine/verification";

const grounding = (extra: Partial<Grounding>): Grounding => ({
  message: "What is 12 * (3 + 4)?",
  mode: "chat",
  tools: [],
  knowledge_chunks: 0,
  chunks: [],
  tool_results: [],
  feedback: [],
  ...extra,
});

describe("the offline model", () => {
  it("answers from a calculator result", () => {
    const text = composeAnswer(
      grounding({
        tool_results: [
          {
            request_id: "tr_1",
            tool: "calculator.evaluate",
            args: { expression: "12 * (3 + 4)" },
            status: "completed",
            result: { content: [{ type: "text", text: "84" }], structuredContent: { value: 84 } },
          },
        ],
      }),
    );
    expect(text).toBe("12 * (3 + 4) = 84.");
  });

  it("greets back, says you're welcome and goodbye to small talk, instead of saying nothing answers it", () => {
    expect(composeAnswer(grounding({ message: "hello there" }))).toMatch(/^Hello! I am running offline, so I can evaluate arithmetic/);
    expect(composeAnswer(grounding({ message: "Thanks!" }))).toBe("You're welcome.");
    expect(composeAnswer(grounding({ message: "bye" }))).toBe("Goodbye!");
    // Asked what it can do, it says so, whatever was retrieved that does not speak to it.
    const unrelated = [{ id: "c1", text: "Upgrades take effect immediately. Support can help with billing.", score: 0.4, metadata: {} }];
    expect(composeAnswer(grounding({ message: "help", chunks: unrelated }))).toMatch(/^I am running offline/);
    expect(composeAnswer(grounding({ message: "Good morning! What can you do?", chunks: unrelated }))).toMatch(/^I am running offline/);
    // Only a question that is wholly about the assistant: a real question that starts the same way is not.
    for (const message of ["help me with billing", "what can you do about billing?", "who are you billing?"]) {
      expect(composeAnswer(grounding({ message, chunks: unrelated }))).not.toMatch(/^I am running offline/);
    }
    expect(composeAnswer(grounding({ message: "Hi, what can you do?", chunks: unrelated }))).toMatch(/^I am running offline, so I can evaluate arithmetic/);
    expect(composeAnswer(grounding({ message: "hello, what is Zorblax?" }))).toMatch(/^I have no tool result or document that answers/);
  });

  it("says what it can do in words its own run's verifier finds nothing to flag in", () => {
    // The greeting is the first answer a new user sees: its verification must not fail on the
    // product's own copy (example numbers, quotes or placeholder names would be unsupported claims).
    for (const message of ["hello there", "what can you do?", "hello, what is Zorblax?"]) {
      const answer = composeAnswer(grounding({ message }));
      expect(answer).toContain("evaluate arithmetic");
      expect(verifyAnswer({ answer, message, chunks: [], toolResults: [] }, { requireCitations: false })).toMatchObject({ passed: true, issues: [] });
    }
  });

  it("cites retrieved chunks by id and says plainly what went wrong with tools", () => {
    const text = composeAnswer(
      grounding({
        message: "what is zorblax",
        chunks: [{ id: "c1", text: "# Zorblax\n\nZorblax is a blue fruit. It grows on Mars.", score: 0.9, metadata: { title: "Zorblax" } }],
        tool_results: [{ request_id: "tr_2", tool: "github.get_repo", args: {}, status: "denied", error: "the caller lacks the scope tools:github" }],
      }),
    );
    expect(text).toContain("I did not use github.get_repo: the caller lacks the scope tools:github.");
    expect(text).toContain("Zorblax: Zorblax is a blue fruit. [chunk:c1]");
    expect(text).not.toContain("Mars");
  });

  it("streams its answer in whole chunks that add up to it, byte for byte the same every time", async () => {
    const model = new OfflineModel();
    const run = async () => {
      const deltas: string[] = [];
      const response = await model.complete(
        { capability: "generation", messages: [], signal: new AbortController().signal, grounding: grounding({}) },
        (d) => deltas.push(d),
      );
      return { deltas, text: response.text };
    };
    const a = await run();
    const b = await run();
    expect(model.chunked).toBe(true);
    expect(a.deltas.length).toBeGreaterThan(3);
    expect(a.deltas.join("")).toBe(a.text);
    // Each delta is one output chunk: cut at 48 characters or at a line end, never mid-word.
    for (const delta of a.deltas.slice(0, -1)) expect(delta.length >= 48 || delta.includes("\n")).toBe(true);
    expect(b).toEqual(a);
  });
});
