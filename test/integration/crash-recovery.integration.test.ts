import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { STEPS } from "../../src/engine/events";
import type { RunObject } from "../../src/durable-objects/run-object";
import type { FaultMatcher } from "../../src/durable-objects/fault-probe";
import { systemIds } from "../../src/adapters/system";
import { getJson, waitFor, waitForStatus } from "../support/api";
import { crash } from "../support/crash";
import { calculatorResult, deliver, expectConsistentLog, ofType, runStub } from "../support/runs";

const MESSAGE = "What is 6 * 7?";

async function startDirect(runId: string, message = MESSAGE) {
  return runStub(runId).start({
    run_id: runId,
    tenant_id: "dev",
    user_id: "dev",
    scopes: ["admin"],
    message,
    context: {},
    mode: "chat",
    options: {},
    fingerprint: "test",
  });
}

type StateView = { status: string; output: string; tool_requests: { request_id: string; status: string }[] };

/**
 * Plays the executor until the run ends: every dispatched calculator call gets its answer. A call
 * that races the crash fails with the crash itself (as a client's request to a dying object
 * would); the poll simply tries again, reaching a fresh instance.
 */
async function driveToEnd(runId: string) {
  return waitFor(
    async () => {
      try {
        const state = (await runStub(runId).getState()) as StateView | null;
        if (state === null) return undefined;
        for (const request of state.tool_requests.filter((r) => r.status === "dispatched")) {
          await deliver(runId, request.request_id, calculatorResult(42));
        }
        return ["completed", "failed", "cancelled"].includes(state.status) ? state : undefined;
      } catch (error) {
        if (String(error).includes("injected crash")) return undefined;
        throw error;
      }
    },
    `run ${runId} to end`,
    15_000,
  );
}

const boundaries: FaultMatcher[] = [
  ...STEPS.map((step) => ({ at: "step.started" as const, step, attempt: 1 })),
  ...STEPS.filter((s) => s !== "finalize").map((step) => ({ at: "step.completed" as const, step, attempt: 1 })),
  { at: "output.chunk", step: "respond", attempt: 1, index: 0 },
  { at: "tool.dispatched" },
];

describe("a run survives its object crashing anywhere", () => {
  it.each(boundaries.map((fault) => [JSON.stringify(fault), fault] as const))("crash at %s", async (_, fault) => {
    const runId = systemIds.run();
    const stub = runStub(runId);
    await runInDurableObject(stub, (object: RunObject) => object.faults.arm(fault));
    await startDirect(runId);
    const state = await driveToEnd(runId);
    expect(state.status).toBe("completed");
    const events = await expectConsistentLog(runId, expect);

    // No duplicated effect: one request per intent, one outcome per request, one answer.
    expect(ofType(events, "tool.requested")).toHaveLength(1);
    expect(ofType(events, "tool.completed")).toHaveLength(1);
    expect(ofType(events, "run.completed")).toHaveLength(1);
    expect(ofType(events, "output.completed").at(-1)?.data.text).toBe("6 * 7 = 42.");
    expect(state.output).toBe("6 * 7 = 42.");

    const interrupted = ofType(events, "workflow.step.failed").filter((e) => (e.data.error as { code: string }).code === "interrupted");
    if (fault.at === "step.started") {
      // The attempt died with its object and was retried as attempt 2.
      expect(interrupted.map((e) => e.data.step)).toEqual([fault.step]);
      expect(ofType(events, "workflow.step.started").filter((e) => e.data.step === fault.step).map((e) => e.data.attempt)).toEqual([1, 2]);
    }
    if (fault.at === "step.completed") {
      // The step had finished: nothing is retried, the next step simply starts.
      expect(interrupted).toHaveLength(0);
      expect(ofType(events, "workflow.step.completed").filter((e) => e.data.step === fault.step)).toHaveLength(1);
    }
    const resets = ofType(events, "output.reset");
    if (fault.at === "output.chunk") {
      // Output had streamed before the crash: the retry says so first, then streams it again.
      expect(resets).toHaveLength(1);
      const resetAt = events.indexOf(resets[0]!);
      const restarted = ofType(events, "workflow.step.started").find((e) => e.data.step === "respond" && e.data.attempt === 2)!;
      expect(events.indexOf(restarted)).toBe(resetAt - 1);
      expect(resets[0]!.data).toMatchObject({ attempt: 2, cause: "retry" });
    } else {
      expect(resets).toHaveLength(0);
    }
  });

  it("resets output that streamed before a crash mid-answer, and streams the answer once more", async () => {
    const runId = systemIds.run();
    await runInDurableObject(runStub(runId), (object: RunObject) =>
      object.faults.arm({ at: "output.chunk", step: "respond", attempt: 1, index: 3 }),
    );
    await startDirect(runId, "Tell me something I do not know");
    const state = await driveToEnd(runId);
    const events = await expectConsistentLog(runId, expect);
    const attempts = ofType(events, "output.chunk").map((e) => e.data.attempt);
    expect(attempts.filter((a) => a === 1).length).toBeGreaterThanOrEqual(4);
    const reset = ofType(events, "output.reset");
    expect(reset.map((e) => e.data)).toEqual([{ attempt: 2, cause: "retry", reason: expect.any(String) }]);
    const after = events.slice(events.indexOf(reset[0]!));
    expect(ofType(after, "output.chunk").map((e) => e.data.text).join("")).toBe(state.output);
    expect(ofType(after, "output.chunk").every((e) => e.data.attempt === 2)).toBe(true);
    expect(ofType(events, "output.completed")).toHaveLength(1);
  });

  it("survives its run object and its tenant being aborted while it waits, and finishes when the result arrives", async () => {
    const runId = systemIds.run();
    await startDirect(runId);
    const request = await waitFor(async () => {
      const state = await getJson<{ status: string; tool_requests: { request_id: string }[] }>(`/runs/${runId}/state`);
      return state.status === "waiting" ? state.tool_requests[0] : undefined;
    }, "the run to wait");
    await crash(runStub(runId), env.TENANT_OBJECT.getByName("dev"));
    expect(await deliver(runId, request!.request_id)).toEqual({ status: "recorded" });
    await crash(runStub(runId), env.TENANT_OBJECT.getByName("dev"));
    expect(await deliver(runId, request!.request_id)).toEqual({ status: "duplicate" });
    await waitForStatus(runId, ["completed"]);
    await expectConsistentLog(runId, expect);
  });

  it("runs an alarm delivered twice once: concurrent and repeated alarms do not duplicate a step", async () => {
    const runId = systemIds.run();
    const stub = runStub(runId);
    await startDirect(runId, "Hello twice");
    await Promise.all([runDurableObjectAlarm(stub), runDurableObjectAlarm(stub), runInDurableObject(stub, (o: RunObject) => o.alarm())]);
    await runInDurableObject(stub, (o: RunObject) => Promise.all([o.alarm(), o.alarm()]));
    await waitForStatus(runId, ["completed"]);
    await runDurableObjectAlarm(stub);
    await runInDurableObject(stub, (o: RunObject) => o.alarm());
    const events = await expectConsistentLog(runId, expect);
    expect(ofType(events, "workflow.step.started").map((e) => e.data.step)).toEqual(STEPS);
    expect(ofType(events, "run.completed")).toHaveLength(1);
    expect(ofType(events, "workflow.step.failed")).toHaveLength(0);
  });

  it("retries a step that failed with a retryable error after a backoff, and fails fast on a terminal one", async () => {
    const retried = systemIds.run();
    await runInDurableObject(runStub(retried), (o: RunObject) => o.faults.arm({ at: "step.started", step: "plan", attempt: 1, effect: "retryable" }));
    await startDirect(retried, "Hello again");
    await waitForStatus(retried, ["completed"]);
    const events = await expectConsistentLog(retried, expect);
    expect(ofType(events, "workflow.step.failed")[0]?.data).toMatchObject({ step: "plan", attempt: 1, retryable: true, error: { code: "injected_fault" } });
    const scheduled = ofType(events, "workflow.step.retry_scheduled")[0]!;
    expect(scheduled.data).toMatchObject({ step: "plan", attempt: 2 });
    expect(ofType(events, "workflow.waiting")[0]?.data).toMatchObject({ reason: "backoff" });
    const resumed = ofType(events, "workflow.resumed")[0]!;
    expect(Date.parse(resumed.ts)).toBeGreaterThanOrEqual(Date.parse(scheduled.data.next_attempt_at as string));

    const doomed = systemIds.run();
    await runInDurableObject(runStub(doomed), (o: RunObject) => o.faults.arm({ at: "step.started", step: "retrieve", attempt: 1, effect: "terminal" }));
    await startDirect(doomed, "Hello never");
    const failed = await waitForStatus(doomed, ["failed"]);
    expect(failed.error).toEqual({ code: "injected_fault", message: expect.stringContaining("injected terminal fault") });
    const log = await expectConsistentLog(doomed, expect);
    expect(log.slice(-2).map((e) => e.type)).toEqual(["workflow.step.failed", "run.failed"]);
    expect(await getJson(`/runs/${doomed}/workflow`)).toMatchObject({ status: "failed", current_step: "retrieve" });
  });
});
