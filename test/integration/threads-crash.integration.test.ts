/**
 * A thread survives a crash at any point with no message lost, none run twice and the order kept.
 * The crash points are armed in the ThreadObject (fault-probe.ts): it flushes its writes, then aborts,
 * exactly as if it had been evicted there. Nothing but the platform's own retries (the run's outbox
 * re-sending its end notice, the thread's alarm) brings it back.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ThreadObject } from "../../src/durable-objects/thread-object";
import { allEvents, getJson, waitFor, waitForStatus } from "../support/api";
import { crash } from "../support/crash";
import { calculatorResult, deliver, dispatchedRequests, runStub } from "../support/runs";
import { createThread, getThread, postMessage, threadStub } from "../support/threads";

const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);

/** Every turn started once and ended once, each after the one before it ended, all completed. */
async function expectCompletedInOrder(threadId: string, turns: number) {
  const thread = await waitFor(async () => {
    const t = await getThread(threadId);
    return t.status === "idle" ? t : undefined;
  }, "the thread to finish", 20_000);
  expect(thread.runs.map((r) => [r.turn, r.status])).toEqual(Array.from({ length: turns }, (_, i) => [i + 1, "completed"]));
  let previousEnd = 0;
  for (const run of thread.runs) {
    const events = await allEvents(run.run_id);
    expect(events.filter((e) => e.type === "run.started"), `turn ${run.turn} started once`).toHaveLength(1);
    expect(events.filter((e) => TERMINAL.has(e.type))).toHaveLength(1);
    expect(Date.parse(events[0]!.ts)).toBeGreaterThanOrEqual(previousEnd);
    previousEnd = Date.parse(events.find((e) => TERMINAL.has(e.type))!.ts);
  }
}

async function queuedBehindAWaitingRun() {
  const threadId = await createThread();
  const first = await postMessage(threadId, { message: "What is 2 + 3?" });
  const second = await postMessage(threadId, { message: "hello, after the sum" });
  const [request] = await dispatchedRequests(first.run_id);
  return { threadId, first, second, requestId: request!.request_id };
}

describe("a thread that crashes", () => {
  it("between a run's end and the next queued run's start, starts that run once, in order", async () => {
    const { threadId, first, second, requestId } = await queuedBehindAWaitingRun();
    await runInDurableObject(threadStub(threadId), (thread: ThreadObject) => thread.faults.arm({ at: "thread.turn.ended", turn: 1 }));
    await deliver(first.run_id, requestId, calculatorResult(5));
    await waitForStatus(first.run_id, ["completed"]);
    await waitForStatus(second.run_id, ["completed"], {}, 20_000);
    await expectCompletedInOrder(threadId, 2);
  });

  it("that loses a run's end notice, learns of the end from its watchdog and starts the next run once", async () => {
    const { threadId, first, second, requestId } = await queuedBehindAWaitingRun();
    await runInDurableObject(threadStub(threadId), (thread: ThreadObject) => thread.faults.arm({ at: "thread.notice.received", turn: 1 }));
    await deliver(first.run_id, requestId, calculatorResult(5));
    await waitForStatus(first.run_id, ["completed"]);
    // The thread's alarm (its watchdog) polls the run it believes is running. (The first call may
    // still meet the instance that crashed: a fresh stub then reaches a fresh one.)
    await waitFor(
      () =>
        runInDurableObject(threadStub(threadId), (thread: ThreadObject) => thread.alarm()).then(
          () => true,
          () => undefined,
        ),
      "the thread's alarm to run",
    );
    expect((await getThread(threadId)).runs[0]?.status).toBe("completed");
    await waitForStatus(second.run_id, ["completed"], {}, 20_000);
    await expectCompletedInOrder(threadId, 2);
  });

  it("after choosing the next run and before its start went out, starts it once", async () => {
    const { threadId, first, second, requestId } = await queuedBehindAWaitingRun();
    await runInDurableObject(threadStub(threadId), (thread: ThreadObject) => thread.faults.arm({ at: "thread.turn.starting", turn: 2 }));
    await deliver(first.run_id, requestId, calculatorResult(5));
    await waitForStatus(second.run_id, ["completed"], {}, 20_000);
    await expectCompletedInOrder(threadId, 2);
  });

  it("when every object is aborted as a run ends with others queued, loses and repeats nothing", async () => {
    const threadId = await createThread();
    const first = await postMessage(threadId, { message: "What is 2 + 3?" });
    const second = await postMessage(threadId, { message: "hello" });
    const third = await postMessage(threadId, { message: "hello once more" });
    // The thread, its runs, the tenant and the knowledge shards every run plans with.
    const everyObject = () => [
      threadStub(threadId),
      ...[first, second, third].map((run) => runStub(run.run_id)),
      env.TENANT_OBJECT.getByName("dev"),
      env.KNOWLEDGE_OBJECT.getByName("shared"),
      env.KNOWLEDGE_OBJECT.getByName("tenant:dev"),
    ];
    const [request] = await dispatchedRequests(first.run_id);
    await deliver(first.run_id, request!.request_id, calculatorResult(5));
    await crash(...everyObject());
    // Reading the thread and the first run wakes their fresh instances.
    await getJson(`/runs/${first.run_id}/state`);
    await expectCompletedInOrder(threadId, 3);
    await crash(...everyObject());
    expect((await getThread(threadId)).runs).toHaveLength(3);
  });

  it("loses no queued message when aborted right after admitting it", async () => {
    const threadId = await createThread();
    const first = await postMessage(threadId, { message: "What is 2 + 3?" });
    const second = await postMessage(threadId, { message: "hello" });
    await crash(threadStub(threadId), runStub(first.run_id), runStub(second.run_id), env.TENANT_OBJECT.getByName("dev"));
    const [request] = await dispatchedRequests(first.run_id);
    expect(await getJson(`/runs/${second.run_id}/state`)).toMatchObject({ status: "queued" });
    await deliver(first.run_id, request!.request_id, calculatorResult(5));
    await expectCompletedInOrder(threadId, 2);
  });
});

describe("a thread stored before refused turns were told apart", () => {
  it("gets the column when its object wakes, and its history still holds the turns it had", async () => {
    const threadId = await createThread();
    const first = await postMessage(threadId, { message: "What is 6 * 7?" });
    await waitForStatus(first.run_id, ["completed"]);
    await waitFor(async () => ((await getThread(threadId)).status === "idle" ? true : undefined), "the thread to be idle");
    // The turns table as an older build wrote it.
    await runInDurableObject(threadStub(threadId), (_thread: ThreadObject, state) => {
      state.storage.sql.exec("ALTER TABLE turns DROP COLUMN refused");
    });
    await crash(threadStub(threadId));
    const second = await postMessage(threadId, { message: "and now?" });
    await waitForStatus(second.run_id, ["completed"]);
    const history = (await allEvents(second.run_id)).find((e) => e.type === "context.history")!.data as { entries: { turn: number }[] };
    expect(history.entries.map((e) => e.turn)).toEqual([1]);
    await runInDurableObject(threadStub(threadId), (_thread: ThreadObject, state) => {
      const columns = state.storage.sql.exec<{ name: string }>("PRAGMA table_info(turns)").toArray().map((c) => c.name);
      expect(columns).toContain("refused");
    });
  });
});
