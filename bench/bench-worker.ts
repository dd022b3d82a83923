/**
 * The bench's worker entry. `bench/run.mjs` runs it under a wrangler config generated from
 * wrangler.toml (same name, bindings and vars; only `main` differs, plus one binding for the
 * baseline object), so every normal route below is the real api worker, untouched. The bench adds,
 * under `/__bench/`, what a benchmark needs and production must not have:
 *
 * - `RunObject`: the real run object plus `benchFill(n)`, which appends n valid, state-neutral
 *   events (`node.started` / `node.completed` pairs) through the runtime's own commit path (zod,
 *   hash chain, fold, snapshot, one SQLite transaction per batch, broadcast), to grow a log to
 *   10k-100k events without running 1,000 workflows.
 * - `BenchBaselineObject`: the least a durable run can do, the yardstick for run latency and
 *   throughput (see its comment).
 * - `/__bench/counters`: what the run objects asked of storage, D1, the Queue and the knowledge
 *   index, when the worker runs with `BENCH_COUNT=1` (bench/profile.mjs; see counting.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { RunObject as RealRunObject } from "../src/durable-objects/run-object";
import { TenantObject as RealTenantObject } from "../src/durable-objects/tenant-object";
import { SSE_HEADERS } from "../src/durable-objects/sse-hub";
import { newEvent } from "../src/engine/events";
import type { NewEvent } from "../src/engine/events";
import { objectForRun } from "../src/adapters/named-object";
import realWorker from "../src/worker/index";
import { counters, countingEnv, countStorage, resetCounters } from "./counting";

// Every class the api worker hosts (KnowledgeObject, ...); RunObject and TenantObject below shadow the real ones.
export * from "../src/worker/index";

export interface RunStats {
  last_seq: number;
  /** UTF-8 bytes of the RunState snapshot as stored (and held in memory). */
  snapshot_bytes: number;
  /** The object's whole SQLite database, in bytes. */
  db_bytes: number;
}

/** The tenant's admission and index writer, its D1 batches counted under BENCH_COUNT=1. */
export class TenantObject extends RealTenantObject {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env.BENCH_COUNT === "1" ? countingEnv(env) : env);
  }
}

export class RunObject extends RealRunObject {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    // bench/profile.mjs only: BENCH_COUNT=1 counts what the engine asks of storage, D1, the Queue,
    // its tenant and the knowledge index.
    const counting = env.BENCH_COUNT === "1";
    if (counting) countStorage(ctx);
    super(ctx, counting ? countingEnv(env) : env);
  }

  /** Appends `n` events in commits of `batch`, exactly as a step's `ctx.emit` would. */
  benchFill(n: number, batch = 500): RunStats {
    if (this.getState() === null) throw new Error("benchFill: no such run");
    for (let done = 0; done < n; ) {
      const events: NewEvent[] = [];
      for (const end = Math.min(n, done + batch); done < end; done++) {
        const node = `bench.fill.${done >> 1}`;
        events.push(
          done % 2 === 0
            ? newEvent("node.started", { node, step: "act" })
            : newEvent("node.completed", { node, step: "act", duration_ms: 0 }),
        );
      }
      this.runtime.commit({ events });
    }
    return this.benchStats();
  }

  benchStats(): RunStats {
    const state = this.getState();
    if (state === null) throw new Error("benchStats: no such run");
    return {
      last_seq: state.last_seq,
      snapshot_bytes: new TextEncoder().encode(JSON.stringify(state)).length,
      db_bytes: this.ctx.storage.sql.databaseSize,
    };
  }
}

const encoder = new TextEncoder();

/**
 * The baseline: a bare SQLite-backed Durable Object that, on `start`, records its task and arms one
 * alarm; the alarm appends `rows` rows of `bytes` bytes each (the real run's event count and mean
 * event size, measured by the bench) in one transaction, then streams them to its SSE subscribers
 * and ends the stream with a `done` frame. A client drives it exactly like a run: POST, then read
 * the SSE stream until the terminal frame. No validation, hashing, folding, spans, D1 or steps.
 */
export class BenchBaselineObject extends DurableObject<BenchEnv> {
  private readonly subscribers: WritableStreamDefaultWriter<Uint8Array>[] = [];

  constructor(ctx: DurableObjectState, env: BenchEnv) {
    // Its storage calls are counted like the run's, for the profile's baseline column.
    if (env.BENCH_COUNT === "1") countStorage(ctx);
    super(ctx, env);
  }

  private schema(): void {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS rows (seq INTEGER PRIMARY KEY, json TEXT NOT NULL); CREATE TABLE IF NOT EXISTS task (rows INTEGER, bytes INTEGER, done INTEGER)",
    );
  }

  async start(rows: number, bytes: number): Promise<void> {
    this.schema();
    this.ctx.storage.sql.exec("INSERT INTO task (rows, bytes, done) VALUES (?, ?, 0)", rows, bytes);
    await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const task = this.task();
    if (task === null || task.done === 1) return;
    const filler = "x".repeat(Math.max(0, task.bytes - 20));
    let frames = "";
    this.ctx.storage.transactionSync(() => {
      for (let seq = 1; seq <= task.rows; seq++) {
        const json = `{"seq":${seq},"data":"${filler}"}`;
        this.ctx.storage.sql.exec("INSERT INTO rows (seq, json) VALUES (?, ?)", seq, json);
        frames += frame(seq, "row", json);
      }
      this.ctx.storage.sql.exec("UPDATE task SET done = 1");
    });
    // Persisted, now broadcast: one write per subscriber, as the run's hub does per commit.
    const chunk = encoder.encode(frames + frame(task.rows + 1, "done", "{}"));
    for (const writer of this.subscribers.splice(0)) {
      writer.write(chunk).catch(() => {});
      writer.close().catch(() => {});
    }
  }

  private task(): { rows: number; bytes: number; done: number } | null {
    this.schema();
    const row = this.ctx.storage.sql.exec<{ rows: number; bytes: number; done: number }>("SELECT * FROM task").toArray()[0];
    return row ?? null;
  }

  /** SSE: a subscriber before the alarm waits for it; one after it gets the rows replayed. */
  override async fetch(): Promise<Response> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const task = this.task();
    if (task?.done === 1) {
      const rows = this.ctx.storage.sql.exec<{ seq: number; json: string }>("SELECT seq, json FROM rows ORDER BY seq").toArray();
      const text = rows.map((row) => frame(row.seq, "row", row.json)).join("") + frame(task.rows + 1, "done", "{}");
      writer.write(encoder.encode(text)).catch(() => {});
      writer.close().catch(() => {});
    } else {
      this.subscribers.push(writer);
    }
    return new Response(readable, { headers: SSE_HEADERS });
  }
}

function frame(id: number, event: string, json: string): string {
  return `id: ${id}\nevent: ${event}\ndata: ${json}\n\n`;
}

export interface BenchEnv extends Env {
  BENCH_BASELINE: DurableObjectNamespace<BenchBaselineObject>;
  BENCH_COUNT?: string;
}

function int(url: URL, name: string, fallback: number): number {
  const value = Number(url.searchParams.get(name) ?? fallback);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

/** `/__bench/*`: the baseline's start and stream, a run's fill and stats, the operation counters. */
async function benchRoute(request: Request, url: URL, env: BenchEnv): Promise<Response> {
  const parts = url.pathname.split("/").filter(Boolean); // ["__bench", ...]
  const runs = env.RUN_OBJECT as unknown as DurableObjectNamespace<RunObject>;
  const runStub = (runId: string) => objectForRun(runs, url.searchParams.get("tenant") ?? "dev", runId);
  try {
    if (request.method === "POST" && parts[1] === "baseline" && parts.length === 2) {
      const id = env.BENCH_BASELINE.newUniqueId();
      await env.BENCH_BASELINE.get(id).start(int(url, "rows", 40), int(url, "bytes", 200));
      return Response.json({ id: id.toString() }, { status: 201 });
    }
    if (request.method === "GET" && parts[1] === "baseline" && parts[3] === "events" && parts[2] !== undefined) {
      return env.BENCH_BASELINE.get(env.BENCH_BASELINE.idFromString(parts[2])).fetch(request);
    }
    if (request.method === "POST" && parts[1] === "runs" && parts[3] === "fill" && parts[2] !== undefined) {
      return Response.json(await runStub(parts[2]).benchFill(int(url, "n", 0), int(url, "batch", 500)));
    }
    if (parts[1] === "counters" && parts.length === 2) {
      const snapshot = { ...counters };
      if (request.method === "POST") resetCounters();
      return Response.json(snapshot);
    }
    if (request.method === "GET" && parts[1] === "runs" && parts[3] === "stats" && parts[2] !== undefined) {
      return Response.json(await runStub(parts[2]).benchStats());
    }
  } catch (error) {
    return Response.json({ error: String(error) }, { status: 500 });
  }
  return Response.json({ error: `no bench route ${request.method} ${url.pathname}` }, { status: 404 });
}

export default {
  ...realWorker,
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) return benchRoute(request, url, env as BenchEnv);
    return realWorker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
