/**
 * Offline runs against the baseline object, measured the same way from the client:
 *
 * - a run: `POST /runs` with a plain message (no tool; retrieval over the shipped docs), then read
 *   `GET /runs/{id}/events` (SSE) until the `run.completed` frame. The time is from just before the
 *   POST to the arrival of that frame. The stream must hold every seq from 1, in order, and end in
 *   `run.completed`, or the bench fails.
 * - the baseline: `POST /__bench/baseline` (arms one alarm that appends as many rows as a run has
 *   events, of the same mean size), then read its SSE stream until the `done` frame.
 *
 * Latency interleaves sequential blocks of runs and baselines, so drift (other work on the
 * machine, JIT, SQLite caches) hits both alike. Throughput keeps `inFlight` clients busy for `total`
 * starts and reports completions per second of wall time.
 */
import { expectStatus, openSse } from "./lib/http.mjs";
import { percentile, summary } from "./lib/stats.mjs";

/** The message of the offline runs (BENCH_MESSAGE overrides it, e.g. the peer harness's "hello there"). */
export const PLAIN_MESSAGE = process.env.BENCH_MESSAGE ?? "How does the engine stream events to clients, and what happens when a client reconnects?";

/** One offline run, POST to `run.completed`; returns its duration and what its stream carried. */
export async function timeRun(baseUrl, message = PLAIN_MESSAGE) {
  const started = performance.now();
  const { run_id } = await expectStatus(201, "POST", `${baseUrl}/runs`, { message });
  let expected = 1;
  let bytes = 0;
  let end = null;
  let terminal = null;
  const stream = openSse(`${baseUrl}/runs/${run_id}/events`, (frame) => {
    if (frame.id !== expected) throw new Error(`run ${run_id}: frame ${frame.id} where ${expected} was expected`);
    expected += 1;
    bytes += Buffer.byteLength(frame.data);
    if (frame.type === "run.completed" || frame.type === "run.failed" || frame.type === "run.cancelled") {
      terminal = frame;
      end = frame.at;
    }
  });
  await stream.done;
  if (terminal === null) throw new Error(`run ${run_id}: the stream ended without a terminal event`);
  if (terminal.type !== "run.completed") throw new Error(`run ${run_id} ended in ${terminal.type}: ${terminal.data.slice(0, 300)}`);
  return { run_id, ms: end - started, events: expected - 1, bytes };
}

/** One baseline object, POST to its `done` frame. */
export async function timeBaseline(baseUrl, rows, rowBytes) {
  const started = performance.now();
  const { id } = await expectStatus(201, "POST", `${baseUrl}/__bench/baseline?rows=${rows}&bytes=${rowBytes}`);
  let count = 0;
  let end = null;
  const stream = openSse(`${baseUrl}/__bench/baseline/${id}/events`, (frame) => {
    if (frame.type === "row") count += 1;
    if (frame.type === "done") end = frame.at;
  });
  await stream.done;
  if (end === null || count !== rows) throw new Error(`baseline ${id}: ${count} of ${rows} rows, done=${end !== null}`);
  return { ms: end - started };
}

/** Sequential latency, `rounds` interleaved blocks of `perRound` runs and `perRound` baselines. */
export async function latency(baseUrl, shape, { warmup = 10, rounds = 5, perRound = 20, log = () => {} } = {}) {
  for (let i = 0; i < warmup; i++) {
    await timeRun(baseUrl);
    await timeBaseline(baseUrl, shape.events, shape.rowBytes);
  }
  const runs = [];
  const baselines = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < perRound; i++) runs.push((await timeRun(baseUrl)).ms);
    for (let i = 0; i < perRound; i++) baselines.push((await timeBaseline(baseUrl, shape.events, shape.rowBytes)).ms);
    log(`latency round ${round + 1}/${rounds}: run p50 ${percentile(runs, 50).toFixed(1)} ms, baseline p50 ${percentile(baselines, 50).toFixed(1)} ms`);
  }
  return { run: summary(runs), baseline: summary(baselines) };
}

/** Completions per second with `inFlight` concurrent clients, `total` starts in all. */
export async function throughput(task, { total = 500, inFlight = 50 } = {}) {
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < total) {
      next += 1;
      await task();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, client));
  const seconds = (performance.now() - started) / 1000;
  return { total, inFlight, seconds, perSecond: total / seconds };
}
