/**
 * The thread's ordering rules, pure: admission under each multitask policy, one run at a time in
 * turn order, cancels before the interrupting turn starts, history within its token budget, and
 * the thread cursor.
 */
import { describe, expect, it } from "vitest";
import { ThreadCursorText } from "../../src/engine/threads/cursor";
import { selectHistory, turnTokens } from "../../src/engine/threads/history";
import { decidePost, nextAction, turnStatus } from "../../src/engine/threads/turns";
import type { Turn } from "../../src/engine/threads/turns";

const NOW = "2026-11-24T10:00:00.000Z";

function turn(n: number, phase: Turn["phase"], extra: Partial<Turn> = {}): Turn {
  return {
    turn: n,
    run_id: `run_${n}`,
    phase,
    ended_status: phase === "ended" ? "completed" : null,
    fingerprint: `f${n}`,
    message: `message ${n}`,
    output: null,
    cancel: null,
    enqueued: false,
    created_at: NOW,
    updated_at: NOW,
    ...extra,
  };
}

const request = (multitask: "enqueue" | "reject" | "interrupt", run_id = "run_new") => ({
  run_id,
  fingerprint: "fnew",
  multitask,
  user_id: "ann",
  message: "new",
});

describe("admission", () => {
  it("queues a new turn after the last, under enqueue, whether the thread is busy or not", () => {
    for (const open of [[], [turn(3, "running"), turn(4, "queued")]]) {
      const decision = decidePost(null, open, 4, request("enqueue"), NOW);
      expect(decision).toMatchObject({ outcome: "admitted", turn: { turn: 5, phase: "queued", run_id: "run_new" }, cancel: [] });
    }
  });

  it("rejects under reject only when busy, and creates nothing", () => {
    expect(decidePost(null, [turn(1, "running")], 1, request("reject"), NOW)).toEqual({ outcome: "busy" });
    expect(decidePost(null, [], 1, request("reject"), NOW)).toMatchObject({ outcome: "admitted", turn: { turn: 2 } });
  });

  it("under interrupt, cancels every open turn before the new one", () => {
    const open = [turn(2, "running"), turn(3, "queued"), turn(4, "starting")];
    expect(decidePost(null, open, 4, request("interrupt"), NOW)).toMatchObject({ outcome: "admitted", turn: { turn: 5 }, cancel: [2, 3, 4] });
  });

  it("answers a retried request as before, and a reused run id with another body is a conflict", () => {
    const existing = turn(2, "running", { run_id: "run_new", fingerprint: "fnew" });
    expect(decidePost(existing, [existing], 2, request("reject"), NOW)).toEqual({ outcome: "existing", turn: existing });
    expect(decidePost({ ...existing, fingerprint: "other" }, [existing], 2, request("enqueue"), NOW)).toEqual({ outcome: "conflict" });
  });
});

describe("what the thread does next", () => {
  it("starts only the first open turn, and watches it while it runs", () => {
    expect(nextAction([])).toEqual({ kind: "idle" });
    expect(nextAction([turn(1, "queued"), turn(2, "queued")])).toMatchObject({ kind: "start", turn: { turn: 1 } });
    expect(nextAction([turn(1, "starting"), turn(2, "queued")])).toMatchObject({ kind: "start", turn: { turn: 1 } });
    expect(nextAction([turn(1, "running"), turn(2, "queued")])).toMatchObject({ kind: "watch", turn: { turn: 1 } });
  });

  it("cancels what an interrupt asked for before starting the interrupting turn", () => {
    const by = { by_user_id: "ann", reason: "interrupted" };
    const open = [turn(1, "running", { cancel: by }), turn(2, "queued", { cancel: by }), turn(3, "queued")];
    expect(nextAction(open)).toMatchObject({ kind: "cancel", turn: { turn: 1 } });
    expect(nextAction(open.slice(1))).toMatchObject({ kind: "cancel", turn: { turn: 2 } });
    expect(nextAction(open.slice(2))).toMatchObject({ kind: "start", turn: { turn: 3 } });
  });

  it("shows a turn as queued until its run starts", () => {
    expect(turnStatus(turn(1, "queued"))).toBe("queued");
    expect(turnStatus(turn(1, "starting"))).toBe("queued");
    expect(turnStatus(turn(1, "running"))).toBe("running");
    expect(turnStatus({ phase: "ended", ended_status: "cancelled" })).toBe("cancelled");
  });
});

describe("history within the token budget", () => {
  const entry = (n: number, chars: number) => ({ turn: n, run_id: `run_${n}`, message: "m".repeat(chars), output: "o".repeat(40) });

  it("keeps whole turns, newest first, and counts the ones it drops", () => {
    // 400 + 40 characters: 110 tokens a turn.
    const newestFirst = [entry(5, 400), entry(4, 400), entry(3, 400), entry(2, 400), entry(1, 400)];
    expect(turnTokens(newestFirst[0]!)).toBe(110);
    const history = selectHistory(newestFirst, 5, 330);
    expect(history.entries.map((e) => e.turn)).toEqual([3, 4, 5]);
    expect(history).toMatchObject({ tokens: 330, dropped_turns: 2 });
    expect(selectHistory(newestFirst, 5, 329).entries.map((e) => e.turn)).toEqual([4, 5]);
  });

  it("never skips a turn to fit an older one", () => {
    const history = selectHistory([entry(3, 4000), entry(2, 10), entry(1, 10)], 3, 500);
    expect(history).toEqual({ entries: [], tokens: 0, dropped_turns: 3 });
  });

  it("reads no further than it needs", () => {
    let read = 0;
    function* lazy() {
      for (let n = 1000; n > 0; n--) {
        read += 1;
        yield entry(n, 400);
      }
    }
    expect(selectHistory(lazy(), 1000, 220).entries).toHaveLength(2);
    expect(read).toBe(3);
  });
});

describe("the thread cursor", () => {
  it.each([
    ["3.17", { turn: 3, seq: 17 }],
    ["0", { turn: 0, seq: 0 }],
    ["0.0", { turn: 0, seq: 0 }],
    [" 12.0 ", { turn: 12, seq: 0 }],
  ])("reads %j", (text, cursor) => {
    expect(ThreadCursorText.parse(text)).toEqual(cursor);
  });

  it.each(["3.x", "-1.2", "3", "3.", ".4", "1e3.1", "3.17.2", "", "1.99999999999999999"])("refuses %j", (text) => {
    expect(ThreadCursorText.safeParse(text).success).toBe(false);
  });
});
