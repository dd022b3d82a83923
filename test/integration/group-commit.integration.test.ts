/**
 * Group commit (sqlite-run-store.ts): the commits of a turn are applied in memory at once and
 * written together at the end of the turn, and nothing leaves the object before its commit is
 * written. Run against a real Durable Object's SQLite.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newEvent } from "../../src/engine/events";
import type { RunObject } from "../../src/durable-objects/run-object";
import { SqliteRunStore } from "../../src/durable-objects/sqlite-run-store";
import { systemIds } from "../../src/adapters/system";
import { runStub } from "../support/runs";

const clock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };

function started(runId: string) {
  return newEvent("run.started", {
    message: "hello",
    mode: "chat",
    tenant_id: "dev",
    user_id: "dev",
    options: { approval: "auto", max_tool_calls: 3, max_wall_time_ms: 60_000, max_tokens: 1000 },
    context: {},
    scopes: [],
  });
}

/** A fresh run object's storage, with a store whose end-of-turn flush the test runs itself. */
async function withStore(test: (store: SqliteRunStore, sql: SqlStorage, flushes: (() => void)[], lost: unknown[]) => void) {
  const runId = systemIds.run();
  await runInDurableObject(runStub(runId) as unknown as DurableObjectStub<RunObject>, (_object, state) => {
    const flushes: (() => void)[] = [];
    const lost: unknown[] = [];
    const store = new SqliteRunStore(state.storage, clock, { defer: (flush) => flushes.push(flush), lost: (error) => lost.push(error) });
    test(store, state.storage.sql, flushes, lost);
  });
  return runId;
}

const count = (sql: SqlStorage, table: string) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
const tables = (sql: SqlStorage) => sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'events'").toArray().length;

describe("group commit", () => {
  it("applies a turn's commits in memory at once and writes them in one transaction at its end", async () => {
    await withStore((store, sql, flushes) => {
      const runId = "run_group_1";
      const published: number[][] = [];
      const appended = store.commit({ run_id: runId, events: [started(runId)] });
      store.afterWrite(() => published.push(appended.map((e) => e.seq)));
      const second = store.commit({ events: [newEvent("workflow.step.started", { step: "receive", attempt: 1 }, "s1")] });
      store.afterWrite(() => published.push(second.map((e) => e.seq)));
      store.commit({ meta: { note: "kept" } });

      // Read your writes: memory moved at once; storage holds nothing yet, and nothing was published.
      expect(store.state()?.last_seq).toBe(2);
      expect(store.lastSeq()).toBe(2);
      expect(tables(sql)).toBe(0);
      expect(published).toEqual([]);
      // One flush was scheduled for the whole turn.
      expect(flushes).toHaveLength(1);

      flushes[0]!();
      expect(count(sql, "events")).toBe(2);
      expect(sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'meta:note'").one().value).toBe("kept");
      expect(JSON.parse(sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'state'").one().value).last_seq).toBe(2);
      // Subscribers get the events after the write, in commit order.
      expect(published).toEqual([[1], [2]]);
      // Nothing waits now: a later callback runs at once.
      let ran = false;
      store.afterWrite(() => (ran = true));
      expect(ran).toBe(true);
    });
  });

  it("writes what is committed before the log is read, and keeps the outbox in memory until then", async () => {
    await withStore((store, sql, flushes) => {
      const runId = "run_group_2";
      store.commit({ run_id: runId, events: [started(runId)] });
      // The log is read from storage: the pending commit is written first.
      expect(store.eventsAfter(0, 10).map((e) => e.seq)).toEqual([1]);
      expect(count(sql, "events")).toBe(1);

      store.commit({ outbox: [{ kind: "run.ended" }] } as never);
      // The outbox is listed from memory (the outbox itself writes before it performs: outbox.unit.test.ts).
      const due = store.pendingEffects();
      expect(due.map((item) => item.effect.kind)).toEqual(["run.ended"]);
      expect(count(sql, "outbox")).toBe(0);
      store.flush();
      expect(count(sql, "outbox")).toBe(1);
      // Settling it is written with the next flush.
      store.settleEffect(due[0]!, { done: true });
      expect(count(sql, "outbox")).toBe(1);
      for (const flush of flushes.splice(0)) flush();
      expect(count(sql, "outbox")).toBe(0);
    });
  });

  it("writes a turn with more rows than one statement may bind (Durable Object SQLite allows 100 parameters)", async () => {
    await withStore((store, sql, flushes) => {
      const runId = "run_group_4";
      store.commit({ run_id: runId, events: [started(runId)] });
      const feedback = (n: number) => ({
        kind: "feedback.insert" as const,
        row: { feedback_id: `fb_${n}`, tenant_id: "dev", run_id: runId, user_id: "dev", rating: "up" as const, comment: null, created_at: new Date(0).toISOString() },
      });
      for (let n = 0; n < 120; n++) {
        store.commit({ events: [newEvent("workflow.step.started", { step: "receive", attempt: n + 1 }, `s${n}`)], outbox: [feedback(n)] });
      }
      expect(flushes).toHaveLength(1);
      flushes[0]!();
      expect(count(sql, "events")).toBe(121);
      expect(count(sql, "outbox")).toBe(120);
      for (const item of store.pendingEffects()) store.settleEffect(item, { done: true });
      store.flush();
      expect(count(sql, "outbox")).toBe(0);
    });
  });

  it("a write that fails refuses every later call and reports the object lost", async () => {
    await withStore((store, sql, _flushes, lost) => {
      const runId = "run_group_3";
      store.commit({ run_id: runId, events: [started(runId)] });
      store.flush();
      // A row already at seq 2 makes the next commit's insert fail inside its transaction.
      sql.exec("INSERT INTO events (seq, type, json, hash) VALUES (2, 'x', '{}', 'x')");
      let published = false;
      store.commit({ events: [newEvent("workflow.step.started", { step: "receive", attempt: 1 }, "s1")] });
      store.afterWrite(() => (published = true));
      expect(() => store.flush()).toThrow();
      expect(lost).toHaveLength(1);
      expect(published).toBe(false);
      // The transaction rolled back, and the store takes nothing more.
      expect(sql.exec<{ value: string }>("SELECT value FROM kv WHERE key = 'state'").toArray().map((r) => JSON.parse(r.value).last_seq)).toEqual([1]);
      expect(() => store.commit({ meta: { x: "y" } })).toThrow(/storage write failed/);
      expect(() => store.eventsAfter(0, 10)).toThrow(/storage write failed/);
    });
  });

  it("changes the alarm with the commits still waiting, or alone when none waits", async () => {
    const runId = systemIds.run();
    await runInDurableObject(runStub(runId) as unknown as DurableObjectStub<RunObject>, async (_object, state) => {
      // Storage as the store sees it, noting whether an alarm change is made inside its transaction.
      let inTransaction = false;
      const changedIn: boolean[] = [];
      const storage = new Proxy(state.storage, {
        get(target, key) {
          if (key === "transactionSync") {
            return <T>(fn: () => T): T => {
              inTransaction = true;
              try {
                return target.transactionSync(fn);
              } finally {
                inTransaction = false;
              }
            };
          }
          const value = Reflect.get(target, key) as unknown;
          return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const store = new SqliteRunStore(storage, clock, { defer: () => undefined });
      const at = Date.now() + 60_000;
      store.commit({ run_id: runId, events: [started(runId)] });
      await store.flushWithAlarm(() => {
        changedIn.push(inTransaction);
        return state.storage.setAlarm(at);
      });
      // The rows and the alarm were written in one transaction (one storage commit, not two).
      expect(changedIn).toEqual([true]);
      expect(count(state.storage.sql, "events")).toBe(1);
      expect(await state.storage.getAlarm()).toBe(at);
      // Nothing waits now: the alarm changes on its own.
      await store.flushWithAlarm(() => {
        changedIn.push(inTransaction);
        return state.storage.deleteAlarm();
      });
      expect(changedIn).toEqual([true, false]);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("leaves the commits written when the alarm change throws, and rejects with its error", async () => {
    let changed: Promise<void> | undefined;
    await withStore((store, sql, _flushes, lost) => {
      const runId = "run_group_alarm_throws";
      store.commit({ run_id: runId, events: [started(runId)] });
      changed = store.flushWithAlarm(() => {
        throw new RangeError("not a time");
      });
      changed.catch(() => undefined);
      expect(lost).toEqual([]);
      expect(count(sql, "events")).toBe(1);
      expect(() => store.commit({ meta: { still: "open" } })).not.toThrow();
    });
    await expect(changed).rejects.toThrow("not a time");
  });

  it("arms a new run's watchdog in the transaction of the run's start", async () => {
    const runId = systemIds.run();
    await runInDurableObject(runStub(runId) as unknown as DurableObjectStub<RunObject>, async (object, state) => {
      let inTransaction = false;
      const armedIn: boolean[] = [];
      const storage = state.storage as unknown as Record<string, unknown>;
      const transactionSync = state.storage.transactionSync.bind(state.storage);
      const setAlarm = state.storage.setAlarm.bind(state.storage);
      storage.transactionSync = <T>(fn: () => T): T => {
        inTransaction = true;
        try {
          return transactionSync(fn);
        } finally {
          inTransaction = false;
        }
      };
      storage.setAlarm = (at: number) => {
        armedIn.push(inTransaction);
        return setAlarm(at);
      };
      try {
        const reply = await object.start({
          run_id: runId,
          tenant_id: "dev",
          user_id: "dev",
          scopes: [],
          message: "hello there",
          context: {},
          mode: "chat",
          options: { approval: "auto" },
          fingerprint: "test",
        });
        expect(reply.outcome).toBe("created");
        expect(armedIn[0]).toBe(true);
      } finally {
        delete storage.transactionSync;
        delete storage.setAlarm;
      }
    });
  });

  it("serves reads near the head of the log from the events it wrote, exactly as storage holds them", async () => {
    const runId = systemIds.run();
    await runInDurableObject(runStub(runId) as unknown as DurableObjectStub<RunObject>, (_object, state) => {
      // A storage whose statements are counted, and a store that keeps about 2,048 characters of recent events.
      const reads: string[] = [];
      const sql = state.storage.sql;
      const counted = {
        exec: (query: string, ...params: SqlStorageValue[]) => {
          if (/^SELECT .* FROM events WHERE/.test(query)) reads.push(query);
          return sql.exec(query, ...params);
        },
      };
      const storage = { sql: counted, transactionSync: <T>(fn: () => T) => state.storage.transactionSync(fn) } as unknown as DurableObjectStorage;
      const flushes: (() => void)[] = [];
      const store = new SqliteRunStore(storage, clock, { defer: (flush) => flushes.push(flush), recentLimit: 2048 });
      store.commit({ run_id: "run_recent", events: [started("run_recent")] });
      for (let turn = 0; turn < 8; turn++) {
        for (let n = 0; n < 5; n++) store.commit({ events: [newEvent("workflow.step.started", { step: "receive", attempt: turn * 5 + n + 1 }, `s${turn}.${n}`)] });
        flushes.splice(0).forEach((flush) => flush());
      }
      const fromStorage = (after: number, limit: number) =>
        sql.exec<{ seq: number; type: string; json: string }>("SELECT seq, type, json FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit).toArray().map((row) => ({ ...row }));
      expect(store.lastSeq()).toBe(41);
      // Every cursor and page size reads what storage holds, whether from memory or from SQLite.
      for (let after = 0; after <= 42; after++) {
        for (const limit of [1, 3, 100]) {
          expect(store.eventsAfter(after, limit)).toEqual(fromStorage(after, limit));
        }
      }
      // The newest events are read without a statement; older ones from SQLite.
      reads.length = 0;
      expect(store.eventsAfter(39, 10).map((event) => event.seq)).toEqual([40, 41]);
      expect(store.eventsAfter(41, 10)).toEqual([]);
      expect(reads).toEqual([]);
      expect(store.eventsAfter(0, 2).map((event) => event.seq)).toEqual([1, 2]);
      expect(reads).toHaveLength(1);
      // What verifies or copies the log reads storage, even near the head.
      expect(store.rawEventsAfter(39, 10)).toHaveLength(2);
      expect(reads).toHaveLength(2);
    });
  });

  it("a run object answers a command only once its commits are written", async () => {
    const runId = systemIds.run();
    const rows = await runInDurableObject(runStub(runId) as unknown as DurableObjectStub<RunObject>, async (object, state) => {
      await object.start({
        run_id: runId,
        tenant_id: "dev",
        user_id: "dev",
        scopes: ["admin"],
        message: "hello there",
        context: {},
        mode: "chat",
        options: {},
        fingerprint: "test",
      });
      // In the same turn as the answer (no end-of-turn flush has run yet), storage holds the start.
      return state.storage.sql.exec<{ type: string }>("SELECT type FROM events ORDER BY seq LIMIT 1").toArray();
    });
    expect(rows.map((row) => row.type)).toEqual(["run.started"]);
  });
});
