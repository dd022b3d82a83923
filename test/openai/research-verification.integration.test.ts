/**
 * Research mode with a real model path: retrieval is always on, and an answer that verification
 * finds ungrounded is regenerated once with the issues fed back; if it is still ungrounded the
 * run completes degraded. The fake's `[[fake:…/answer]]` marker picks the answers.
 */
import { describe, expect, inject, it } from "vitest";
import { allEvents, startRun, waitForStatus } from "../support/api";
import type { RunEnvelope } from "../support/api";

const ofType = (events: RunEnvelope[], type: string) => events.filter((e) => e.type === type);

async function research(message: string) {
  const runId = await startRun({ message, mode: "research" });
  const state = await waitForStatus(runId, ["completed", "failed"], {}, 20_000);
  return { state, events: await allEvents(runId) };
}

async function generationRequests(spec: string): Promise<{ messages: { content: string }[] }[]> {
  const response = await fetch(`${inject("fakeOpenAIUrl")}/__log/${encodeURIComponent(spec)}`);
  const body = (await response.json()) as { requests: { messages: { content: string }[]; response_format?: unknown; tools?: unknown }[] };
  return body.requests.filter((r) => r.response_format === undefined && r.tools === undefined);
}

describe("research mode verification", () => {
  it("regenerates an ungrounded answer once, with the issues fed back, and completes when it is grounded", async () => {
    const spec = "ungrounded_then_cited@research-fixed/answer";
    const { state, events } = await research(`How does the engine retry failed steps? [[fake:${spec}]]`);
    expect(state.status).toBe("completed");
    expect(ofType(events, "retrieval.completed")).toHaveLength(1);
    const verifications = ofType(events, "verification.completed").map((e) => e.data as { passed: boolean; issues: string[] });
    expect(verifications.map((v) => v.passed)).toEqual([false, true]);
    expect(verifications[0]!.issues.join(" ")).toMatch(/9,?999|Quentin Marsh/);
    expect(ofType(events, "output.reset").map((e) => e.data)).toEqual([
      { attempt: 2, cause: "regenerate", reason: expect.any(String) },
    ]);
    expect(state.output).toMatch(/^The documentation covers this \[chunk:[^\]]+\]\.$/);
    expect(state.degraded).toBe(false);
    const requests = await generationRequests(spec);
    expect(requests).toHaveLength(2);
    const feedback = requests[1]!.messages.map((m) => m.content).join("\n");
    expect(feedback).toMatch(/Quentin Marsh|9,?999/);
  });

  it("completes degraded when the regenerated answer is still ungrounded", async () => {
    const spec = "ungrounded@research-stuck/answer";
    const { state, events } = await research(`What powers the Zorblax reactor? [[fake:${spec}]]`);
    expect(state.status).toBe("completed");
    expect(ofType(events, "verification.completed").map((e) => (e.data as { passed: boolean }).passed)).toEqual([false, false]);
    expect(ofType(events, "output.reset")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "run.completed", data: { degraded: true } });
    expect(await generationRequests(spec)).toHaveLength(2);
  });
});
