/**
 * Messages that overlap in a thread, under each `multitask` policy, with real run objects and a
 * real ThreadObject: two posts race; enqueue keeps both, in order, one run at a time; reject admits
 * exactly one and creates nothing for the other; interrupt cancels what runs and what waits, then
 * starts. The tool Queue has no consumer in this project, so a calculator message waits for its
 * result until the test delivers it: that is how a test holds a run open.
 */
import { describe, expect, it } from "vitest";
import { allEvents, getJson, postJson, waitFor, waitForStatus } from "../support/api";
import type { RunEnvelope } from "../support/api";
import { calculatorResult, deliver, dispatchedRequests } from "../support/runs";
import { createThread, getThread, postMessage, waitForIdle } from "../support/threads";
import type { ThreadRunReply } from "../support/threads";

const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);

/** Delivers the calculator's answer to every run of the thread that waits for one, until the thread is idle. */
async function finishAll(threadId: string): Promise<void> {
  await waitFor(
    async () => {
      const thread = await getThread(threadId);
      if (thread.status === "idle") return true;
      for (const run of thread.runs.filter((r) => r.status === "running")) {
        const state = await getJson<{ tool_requests: { request_id: string; status: string }[] }>(`/runs/${run.run_id}/state`);
        for (const request of state.tool_requests.filter((r) => r.status === "dispatched")) await deliver(run.run_id, request.request_id, calculatorResult(7));
      }
      return undefined;
    },
    `thread ${threadId} to finish`,
    20_000,
  );
}

/**
 * The thread's invariant: every turn's run started once and ended once, and each started only after
 * the one before it had ended, in turn order.
 */
async function expectOneAtATimeInOrder(threadId: string): Promise<RunEnvelope[][]> {
  const thread = await getThread(threadId);
  const logs: RunEnvelope[][] = [];
  for (const run of thread.runs) {
    const events = await allEvents(run.run_id);
    expect(events.filter((e) => e.type === "run.started"), `turn ${run.turn} started once`).toHaveLength(1);
    expect(events.filter((e) => TERMINAL.has(e.type)), `turn ${run.turn} ended once`).toHaveLength(1);
    expect(events[0]?.data).toMatchObject({ thread_id: threadId, turn: run.turn });
    logs.push(events);
  }
  for (let i = 1; i < logs.length; i++) {
    const ended = logs[i - 1]!.find((e) => TERMINAL.has(e.type))!;
    const started = logs[i]![0]!;
    expect(Date.parse(started.ts), `turn ${i + 1} starts after turn ${i} ended`).toBeGreaterThanOrEqual(Date.parse(ended.ts));
  }
  return logs;
}

describe("multitask: enqueue (the default)", () => {
  it("keeps two racing messages, in order: the second is queued, with no events, until the first ends", async () => {
    const threadId = await createThread();
    const replies = await Promise.all([postMessage(threadId, { message: "What is 2 + 3?" }), postMessage(threadId, { message: "What is 4 + 5?" })]);
    const [first, second] = [...replies].sort((a, b) => a.turn - b.turn) as [ThreadRunReply, ThreadRunReply];
    expect([first.turn, second.turn]).toEqual([1, 2]);
    expect(first.status).toBe("running");
    expect(second.status).toBe("queued");

    // Queued: /state and /workflow say so, and its log is empty until it starts.
    const [request] = await dispatchedRequests(first.run_id);
    expect(await getJson(`/runs/${second.run_id}/state`)).toMatchObject({ status: "queued", last_seq: 0, thread: { thread_id: threadId, turn: 2 } });
    expect(await getJson(`/runs/${second.run_id}/workflow`)).toMatchObject({ status: "queued" });
    expect(await getJson(`/runs/${second.run_id}/events?format=json`)).toEqual({ events: [], next_after: 0, done: false });
    expect((await getThread(threadId)).status).toBe("busy");

    await deliver(first.run_id, request!.request_id, calculatorResult(5));
    await waitForStatus(first.run_id, ["completed"]);
    await finishAll(threadId);
    const [, secondLog] = await expectOneAtATimeInOrder(threadId);
    const history = secondLog!.find((e) => e.type === "context.history");
    expect(history?.data).toMatchObject({ turns: 1, dropped_turns: 0 });
    expect((history?.data.entries as { output: string }[])[0]?.output).toContain("= 5");
    expect((await getThread(threadId)).runs.map((r) => r.status)).toEqual(["completed", "completed"]);
  });

  it("runs a queue of several in turn order", async () => {
    const threadId = await createThread();
    const replies: ThreadRunReply[] = [];
    for (const n of [1, 2, 3, 4]) replies.push(await postMessage(threadId, { message: `What is ${n} + ${n}?` }));
    expect(replies.map((r) => [r.turn, r.status])).toEqual([
      [1, "running"],
      [2, "queued"],
      [3, "queued"],
      [4, "queued"],
    ]);
    await finishAll(threadId);
    await expectOneAtATimeInOrder(threadId);
  });
});

describe("multitask: reject", () => {
  it("admits exactly one of two racing messages; the other is a 409 and creates nothing", async () => {
    const threadId = await createThread();
    const responses = await Promise.all(
      ["What is 1 + 1?", "What is 2 + 2?"].map((message) => postJson(`/threads/${threadId}/runs`, { message, multitask: "reject" })),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
    const refused = responses.find((r) => r.status === 409)!;
    expect(await refused.json()).toMatchObject({ error: { code: "conflict" } });
    expect((await getThread(threadId)).runs).toHaveLength(1);

    // Busy: still refused. Idle again: admitted.
    expect((await postJson(`/threads/${threadId}/runs`, { message: "hello", multitask: "reject" })).status).toBe(409);
    await finishAll(threadId);
    expect((await postMessage(threadId, { message: "hello", multitask: "reject" })).turn).toBe(2);
    await waitForIdle(threadId);
    expect((await getThread(threadId)).runs).toHaveLength(2);
  });
});

describe("multitask: interrupt", () => {
  it("cancels the running and the queued runs as interrupted, then starts the new one", async () => {
    const threadId = await createThread();
    const first = await postMessage(threadId, { message: "What is 2 + 3?" });
    const second = await postMessage(threadId, { message: "What is 4 + 5?" });
    await dispatchedRequests(first.run_id);
    const third = await postMessage(threadId, { message: "hello instead", multitask: "interrupt" });
    expect(third).toMatchObject({ turn: 3, status: "running" });

    const firstLog = await allEvents(first.run_id);
    expect(firstLog.at(-1)).toMatchObject({ type: "run.cancelled", data: { by_user_id: "dev", reason: "interrupted" } });
    // The queued one never ran a step: its log is its start and its cancellation.
    expect((await allEvents(second.run_id)).map((e) => [e.type, e.data.reason])).toEqual([
      ["run.started", undefined],
      ["run.cancelled", "interrupted"],
    ]);
    await waitForStatus(third.run_id, ["completed"]);
    const logs = await expectOneAtATimeInOrder(threadId);
    // Cancelled turns have no answer, so they are no part of the conversation the new run sees.
    expect(logs[2]!.find((e) => e.type === "context.history")?.data).toMatchObject({ turns: 0, dropped_turns: 0 });
    expect((await waitForIdle(threadId)).runs.map((r) => r.status)).toEqual(["cancelled", "cancelled", "completed"]);
  });

  it("racing an enqueued message, never cancels itself, and the thread stays one run at a time in order", async () => {
    const threadId = await createThread();
    const first = await postMessage(threadId, { message: "What is 2 + 3?" });
    await dispatchedRequests(first.run_id);
    const [queued, interrupting] = await Promise.all([
      postMessage(threadId, { message: "What is 6 + 7?" }),
      postMessage(threadId, { message: "hello, stop that", multitask: "interrupt" }),
    ]);
    await finishAll(threadId);
    await expectOneAtATimeInOrder(threadId);
    const thread = await getThread(threadId);
    expect(thread.runs.find((r) => r.run_id === interrupting.run_id)?.status).toBe("completed");
    expect(thread.runs[0]?.status).toBe("cancelled");
    // The enqueued one was cancelled if it came first, and ran after the interrupt if it came second.
    const expected = queued.turn < interrupting.turn ? "cancelled" : "completed";
    expect(thread.runs.find((r) => r.run_id === queued.run_id)?.status).toBe(expected);
  });
});

describe("Idempotency-Key on a thread's message", () => {
  it("answers a retry with the same run and turn, creates no second turn, and refuses the key with another body", async () => {
    const threadId = await createThread();
    const headers = { "idempotency-key": "msg-1" };
    const first = await postJson(`/threads/${threadId}/runs`, { message: "What is 3 + 3?" }, { headers });
    expect(first.status).toBe(201);
    const body = (await first.json()) as ThreadRunReply;
    // A retry, even under reject on the now busy thread, is the same message.
    const again = await postJson(`/threads/${threadId}/runs`, { message: "What is 3 + 3?" }, { headers });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ run_id: body.run_id, turn: 1 });
    const conflict = await postJson(`/threads/${threadId}/runs`, { message: "What is 9 + 9?" }, { headers });
    expect(conflict.status).toBe(409);
    expect((await getThread(threadId)).runs).toHaveLength(1);
    // The same key in another thread is another message.
    const other = await createThread();
    const elsewhere = (await (await postJson(`/threads/${other}/runs`, { message: "What is 3 + 3?" }, { headers })).json()) as ThreadRunReply;
    expect(elsewhere.run_id).not.toBe(body.run_id);
    await finishAll(threadId);
    await finishAll(other);
  });
});
