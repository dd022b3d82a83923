/**
 * A run in a thread, as the engine sees it: it is queued with no events, begins when its thread
 * starts it, records the history it was handed, and tells its thread when it ends, once the end is
 * durable. In memory, with a pinned clock (engine-harness.ts).
 */
import { describe, expect, it } from "vitest";
import { queuedRunState } from "../../src/engine/threads/queued-run";
import { QUEUED_META, QueuedRun } from "../../src/engine/commands/enqueue";
import { Harness } from "../support/engine-harness";

const THREAD = "th_01JTESTTHREAD0000000000000";
const RUN = "run_01JTESTRVN0000000000000000";

function request(extra: Record<string, unknown> = {}) {
  return {
    run_id: RUN,
    tenant_id: "acme",
    user_id: "ann",
    scopes: ["runs:write", "runs:read"],
    message: "hello again",
    context: {},
    mode: "chat",
    options: {},
    fingerprint: "f",
    thread: { thread_id: THREAD, turn: 2 },
    ...extra,
  };
}

const HISTORY = { entries: [{ turn: 1, run_id: "run_1", message: "hello", output: "Hi." }], tokens: 3, dropped_turns: 0 };

describe("a run in a thread", () => {
  it("names its thread and turn, records the history it sees, and tells its thread how it ended", async () => {
    const h = new Harness();
    await h.runtime.run("start", request({ history: HISTORY }));
    await h.settle();
    const [started, history] = h.events();
    expect(started).toMatchObject({ seq: 1, type: "run.started", data: { thread_id: THREAD, turn: 2 } });
    expect(history).toMatchObject({ seq: 2, type: "context.history", data: { thread_id: THREAD, turns: 1, tokens: 3, dropped_turns: 0, entries: HISTORY.entries } });
    expect(h.store.state()).toMatchObject({ status: "completed", thread: { thread_id: THREAD, turn: 2 }, history: HISTORY.entries });
    expect(h.ended).toEqual([
      {
        tenant_id: "acme",
        run_id: RUN,
        thread: { thread_id: THREAD, turn: 2 },
        status: "completed",
        output: h.store.state()!.output,
        refused: false,
        ended_at: h.store.state()!.updated_at,
        index: expect.objectContaining({ run_id: RUN, status: "completed", updated_at: h.store.state()!.updated_at }),
      },
    ]);
    // Performed, so gone from the outbox, with no index sync of its own left behind.
    expect(h.store.pendingEffects().map((item) => item.effect.kind)).not.toContain("index.sync");
    expect(h.store.pendingEffects().map((item) => item.effect.kind)).not.toContain("run.ended");
  });

  it("outside a thread sees no history and tells no thread", async () => {
    const h = new Harness();
    await h.start({ message: "hello" });
    expect(h.status()).toBe("completed");
    expect(h.types()).not.toContain("context.history");
    expect(h.ended).toMatchObject([{ thread: null, status: "completed" }]);
  });

  it("keeps the notice in the outbox until its thread takes it", async () => {
    const h = new Harness();
    let refuse = true;
    h.runtime.deps.effects.runEnded = async (notice) => {
      if (refuse) throw new Error("thread unavailable");
      h.ended.push(notice);
    };
    await h.runtime.run("start", request());
    await h.settle();
    expect(h.status()).toBe("completed");
    expect(h.ended).toEqual([]);
    expect(h.store.pendingEffects().map((item) => item.effect.kind)).toContain("run.ended");
    refuse = false;
    await h.advance(60_000);
    expect(h.ended).toHaveLength(1);
  });
});

describe("a queued run", () => {
  it("has no events and nothing to drive until its thread starts it", async () => {
    const h = new Harness();
    expect(await h.runtime.run("enqueue", request())).toEqual({ outcome: "created", run_id: RUN, status: "queued" });
    await h.advance(60_000);
    expect(h.events()).toEqual([]);
    expect(h.store.workflow()?.status).toBe("queued");
    expect(h.alarmAt).toBeNull();
    const state = queuedRunState(QueuedRun.parse(JSON.parse(h.store.meta(QUEUED_META)!)), h.runtime.deps.config);
    expect(state).toMatchObject({ run_id: RUN, status: "queued", last_seq: 0, message: "hello again", thread: { thread_id: THREAD, turn: 2 } });
    // A repeated enqueue is the same run; another request under the same id is a conflict.
    expect(await h.runtime.run("enqueue", request())).toEqual({ outcome: "existing", run_id: RUN, status: "queued" });
    expect(await h.runtime.run("enqueue", request({ fingerprint: "other" }))).toEqual({ outcome: "conflict" });
    expect(await h.runtime.run("start", request({ fingerprint: "other" }))).toEqual({ outcome: "conflict" });

    expect(await h.runtime.run("start", request({ history: HISTORY }))).toMatchObject({ outcome: "created", status: "running" });
    await h.settle();
    expect(h.types().slice(0, 2)).toEqual(["run.started", "context.history"]);
    expect(h.status()).toBe("completed");
    expect(await h.runtime.run("enqueue", request())).toEqual({ outcome: "existing", run_id: RUN, status: "completed" });
  });

  it("cancelled before it starts, records run.started and run.cancelled and runs no step", async () => {
    const h = new Harness();
    await h.runtime.run("enqueue", request());
    expect(await h.runtime.run("cancel", { user_id: "ann", reason: "interrupted" })).toEqual({ outcome: "cancelled" });
    await h.advance(60_000);
    expect(h.events().map((e) => [e.type, e.data])).toEqual([
      ["run.started", expect.objectContaining({ thread_id: THREAD, turn: 2, message: "hello again" })],
      ["run.cancelled", { by_user_id: "ann", reason: "interrupted" }],
    ]);
    expect(h.status()).toBe("cancelled");
    expect(h.store.spans().every((span) => span.end !== null)).toBe(true);
    expect(h.ended).toMatchObject([{ run_id: RUN, thread: { thread_id: THREAD, turn: 2 }, status: "cancelled", output: "" }]);
    // Its thread's start comes too late: it answers the ended run.
    expect(await h.runtime.run("start", request())).toEqual({ outcome: "existing", run_id: RUN, status: "cancelled" });
  });
});
