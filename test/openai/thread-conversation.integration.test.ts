/**
 * A three-turn conversation with the OpenAI adapter as the model (project `openai`): each run in the
 * thread sends the earlier turns to the model as chat messages, so the fake OpenAI-compatible server
 * (test/node/fake-openai.ts) receives, for the third turn, the first two messages and their answers.
 */
import { describe, expect, inject, it } from "vitest";
import { waitForStatus } from "../support/api";
import { createThread, postMessage } from "../support/threads";

const SPEC = "text@thread-three";
const ANSWER = "Here is the answer from the fake model.";

type Message = { role: string; content: string };

async function requests(): Promise<{ messages: Message[]; response_format?: unknown }[]> {
  const response = await fetch(`${inject("fakeOpenAIUrl")}/__log/${encodeURIComponent(SPEC)}`);
  return ((await response.json()) as { requests: { messages: Message[]; response_format?: unknown }[] }).requests;
}

describe("a conversation whose model is OpenAI", () => {
  it("sends a third turn's model the first two turns as user and assistant messages, in order", async () => {
    const threadId = await createThread();
    const messages = [`My name is Ada. [[fake:${SPEC}]]`, "I like chess.", "What is my name, and what do I like?"];
    for (const message of messages) {
      const run = await postMessage(threadId, { message });
      const state = await waitForStatus(run.run_id, ["completed", "failed"], {}, 20_000);
      expect(state.status).toBe("completed");
      expect(state.output).toBe(ANSWER);
    }
    const log = await requests();
    // Per turn: a planning request (structured output), then the answer.
    expect(log).toHaveLength(6);
    const [plan3, answer3] = log.slice(4) as [(typeof log)[number], (typeof log)[number]];
    expect(plan3.response_format).toBeDefined();
    for (const request of [plan3, answer3]) {
      const roles = request.messages.map((m) => m.role);
      expect(roles).toEqual(["system", "user", "assistant", "user", "assistant", "user"]);
      expect(request.messages.slice(1, 5)).toEqual([
        { role: "user", content: messages[0] },
        { role: "assistant", content: ANSWER },
        { role: "user", content: messages[1] },
        { role: "assistant", content: ANSWER },
      ]);
      expect(request.messages.at(-1)?.content).toContain(messages[2]);
    }
    // The first turn's model saw no history; the second saw the first.
    expect(log[1]?.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(log[3]?.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
  });
});
