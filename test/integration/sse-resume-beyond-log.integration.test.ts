/**
 * SSE end-of-stream semantics over HTTP (CONTRACT.md "SSE wire format": after the run's terminal
 * event the server ends the stream; nothing a client sends may produce a hang).
 */
import { describe, expect, it } from "vitest";
import { api, startRun, waitForStatus } from "../support/api";
import { deliver, dispatchedRequests } from "../support/runs";
import { readSse } from "../support/sse";

describe("a stream resumed with a Last-Event-ID beyond the log", () => {
  it("ends when the run ends, instead of pinging for ever", async () => {
    const runId = await startRun({ message: "What is 2 + 3?" });
    const [request] = await dispatchedRequests(runId);
    const response = await api(`/runs/${runId}/events`, { headers: { "last-event-id": "100000" } });
    expect(response.status).toBe(200);
    const reading = readSse(response, { timeoutMs: 4_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await deliver(runId, request!.request_id);
    await waitForStatus(runId, ["completed"]);
    const { frames, ended } = await reading;
    expect(frames.filter((f) => f.data !== undefined)).toHaveLength(0);
    expect(ended, "the server ended the stream after the run's terminal event").toBe(true);
  });
});
