import { describe, expect, it } from "vitest";
import { allEvents, getJson, waitForStatus } from "../support/api";
import { createThread, getThread, postMessage, threadEvents, waitForIdle } from "../support/threads";

describe("a thread", () => {
  it("runs two messages in order, the second seeing the first", async () => {
    const threadId = await createThread({ metadata: { topic: "smoke" } });
    const first = await postMessage(threadId, { message: "hello there" });
    expect(first).toMatchObject({ thread_id: threadId, turn: 1, status: "running" });
    await waitForStatus(first.run_id, ["completed"]);
    const second = await postMessage(threadId, { message: "and again" });
    expect(second.turn).toBe(2);
    await waitForStatus(second.run_id, ["completed"]);
    const thread = await waitForIdle(threadId);
    expect(thread.runs.map((r) => [r.turn, r.status])).toEqual([
      [1, "completed"],
      [2, "completed"],
    ]);
    const events = await allEvents(second.run_id);
    expect(events[0]?.data).toMatchObject({ thread_id: threadId, turn: 2 });
    const history = events.find((e) => e.type === "context.history");
    expect(history?.data).toMatchObject({ thread_id: threadId, turns: 1, dropped_turns: 0 });
    const all = await threadEvents(threadId);
    expect(all.length).toBe((await allEvents(first.run_id)).length + events.length);
    expect(await getJson(`/runs/${second.run_id}/state`)).toMatchObject({ thread: { thread_id: threadId, turn: 2 } });
    expect((await getThread(threadId)).title).toBe("hello there");
  });
});
