/**
 * A run in a thread sees the earlier turns: the offline planner and model resolve follow-ups from
 * them deterministically, the prompts carry them as chat messages, and retrieval hears the last turn.
 */
import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../../src/engine/events";
import { composeAnswer } from "../../src/engine/model/offline";
import { generationMessages, planningMessages } from "../../src/engine/model/prompts";
import { planOffline } from "../../src/engine/planning";
import { continuedExpression, recallFromHistory, resultOf, retrievalQuery } from "../../src/engine/threads/follow-up";
import { groundingFor } from "../support/model-fixtures";

const turn = (n: number, message: string, output: string): HistoryEntry => ({ turn: n, run_id: `run_${n}`, message, output });
const ARITHMETIC = [turn(1, "What is 12 * (3 + 4)?", "12 * (3 + 4) = 84.")];
const NOTE = [turn(1, "remember: the demo is on Friday", "I saved the note “the demo is on Friday”."), turn(2, "hello", "Hi.")];

describe("arithmetic on the previous result", () => {
  it.each([
    ["and times 2?", "84 * 2"],
    ["And multiplied by 3", "84 * 3"],
    ["then divided by 4.", "84 / 4"],
    ["what about plus 10?", "84 + 10"],
    ["minus -2", "84 - (-2)"],
    ["* 1.5", "84 * 1.5"],
    ["and double it?", "84 * 2"],
    ["square that", "84 ^ 2"],
  ])("reads %j after “… = 84.” as %j", (message, expression) => {
    expect(continuedExpression(message, ARITHMETIC)?.expression).toBe(expression);
    const plan = planOffline({ message, mode: "chat", knowledgeChunks: 10, history: ARITHMETIC });
    expect(plan.tool_intents).toEqual([{ tool: "calculator.evaluate", args: { expression } }]);
    expect(plan.needs_retrieval).toBe(false);
    expect(plan.decisions[0]?.reason).toContain("turn 1");
  });

  it("needs a previous result, and a message that is only a continuation", () => {
    expect(continuedExpression("and times 2?", [])).toBeNull();
    expect(continuedExpression("and times 2?", [turn(1, "hi", "Hello, no numbers here.")])).toBeNull();
    expect(continuedExpression("and times 2 apples for the road?", ARITHMETIC)).toBeNull();
    expect(planOffline({ message: "and times 2?", mode: "chat", knowledgeChunks: 0 }).tool_intents).toEqual([]);
  });

  it("takes the value after the answer's last `=`, and lets the message's own expression win", () => {
    expect(resultOf("12 * (3 + 4) = 84.\n\nAnd 84 * 2 = 168.")).toBe("168");
    expect(resultOf("x = -3.5")).toBe("-3.5");
    expect(resultOf("no result")).toBeNull();
    const plan = planOffline({ message: "and what is 2 + 2?", mode: "chat", knowledgeChunks: 0, history: ARITHMETIC });
    expect(plan.tool_intents).toEqual([{ tool: "calculator.evaluate", args: { expression: "2 + 2" } }]);
  });
});

describe("recalling the conversation", () => {
  it("answers what it was asked to remember, from the newest note, without a tool or retrieval", () => {
    const message = "What did I ask you to remember?";
    expect(recallFromHistory(message, NOTE)).toEqual({ kind: "remembered", text: "the demo is on Friday", turn: 1 });
    const plan = planOffline({ message, mode: "chat", knowledgeChunks: 10, history: NOTE });
    expect(plan.tool_intents).toEqual([]);
    expect(plan.needs_retrieval).toBe(false);
    expect(plan.decisions.map((d) => d.decision)).toContain("answer from the conversation");
    expect(composeAnswer(groundingFor(message, { history: NOTE }))).toBe("You asked me to remember: “the demo is on Friday”.");
  });

  it("recalls the previous message", () => {
    expect(composeAnswer(groundingFor("what did I just say?", { history: NOTE }))).toBe("Your previous message was: “hello”.");
    expect(composeAnswer(groundingFor("What was my last question?", { history: ARITHMETIC }))).toBe(
      "Your previous message was: “What is 12 * (3 + 4)?”.",
    );
  });

  it("has nothing to recall outside a thread, and a new note is never a recall", () => {
    expect(recallFromHistory("what did I ask you to remember?", [])).toBeNull();
    expect(recallFromHistory("remember: what did I ask you to remember?", NOTE)).toBeNull();
    expect(composeAnswer(groundingFor("what did I ask you to remember?"))).toContain("I have no tool result or document");
  });
});

describe("history in the prompts", () => {
  it("sends the earlier turns as user and assistant messages, oldest first, before the new message", () => {
    const history = [turn(1, "first question", "first answer"), turn(2, "second question", "second answer")];
    for (const messages of [generationMessages(groundingFor("third question", { history })), planningMessages(groundingFor("third question", { history }))]) {
      expect(messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user", "assistant", "user"]);
      expect(messages.slice(1, 5).map((m) => m.content)).toEqual(["first question", "first answer", "second question", "second answer"]);
      expect(messages.at(-1)?.content).toContain("third question");
      expect(messages[0]?.content).toContain("Earlier turns of this conversation");
    }
    const alone = generationMessages(groundingFor("third question"));
    expect(alone.map((m) => m.role)).toEqual(["system", "user"]);
    expect(alone[0]?.content).not.toContain("Earlier turns");
  });

  it("retrieves with the last turn's message in front of a follow-up", () => {
    expect(retrievalQuery("and how long does it take?", [turn(1, "tell me about Zorblax", "…")])).toBe("tell me about Zorblax\nand how long does it take?");
    expect(retrievalQuery("tell me about Zorblax", [])).toBe("tell me about Zorblax");
  });
});
