/** Reaching a run's object directly, as the tool executor does, and playing the executor's part. */
import { env } from "cloudflare:workers";
import { objectForRun } from "../../src/adapters/named-object";
import { foldEvents } from "../../src/engine/reducer";
import { parseEvent } from "../../src/engine/events";
import { allEvents, getJson, waitFor } from "./api";
import type { RunEnvelope } from "./api";

export function runStub(runId: string, tenant = "dev") {
  return objectForRun(env.RUN_OBJECT, tenant, runId);
}

export interface RequestView {
  request_id: string;
  tool: string;
  args: Record<string, unknown>;
  status: string;
}

/** Waits until the run has dispatched `count` tool requests, and returns them. */
export async function dispatchedRequests(runId: string, count = 1): Promise<RequestView[]> {
  return waitFor(async () => {
    const state = await getJson<{ tool_requests: RequestView[] }>(`/runs/${runId}/state`);
    const dispatched = state.tool_requests.filter((r) => r.status === "dispatched");
    return dispatched.length >= count ? dispatched : undefined;
  }, `${count} dispatched tool requests on ${runId}`);
}

/** What the calculator server would answer, for the tests that play the executor. */
export function calculatorResult(value: number) {
  return { content: [{ type: "text", text: String(value) }], structuredContent: { value } };
}

export async function deliver(runId: string, requestId: string, result: unknown = calculatorResult(42)) {
  return runStub(runId).deliverToolResult({ request_id: requestId, status: "completed", result, cached: false, duration_ms: 5 });
}

/** The run's log is contiguous from 1, its chain verifies, and the stored snapshot is its fold. */
export async function expectConsistentLog(runId: string, expect: (v: unknown, m?: string) => { toEqual(x: unknown): void; toBe(x: unknown): void }) {
  const events = await allEvents(runId);
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const state = await getJson(`/runs/${runId}/state`);
  expect(state, "snapshot equals the fold of the log").toEqual(foldEvents(events.map((e) => parseEvent(e))));
  const chain = await getJson<{ valid: boolean; last_seq: number }>(`/runs/${runId}/verify`);
  expect(chain.valid).toBe(true);
  expect(chain.last_seq).toBe(events.length);
  return events;
}

export function ofType(events: RunEnvelope[], type: string): RunEnvelope[] {
  return events.filter((e) => e.type === type);
}
