/**
 * Replay of a long log, and the memory of the run object as its log grows.
 *
 * A run parked in its approval wait gets its log grown by `benchFill` (bench/bench-worker.ts: real
 * appends through the run's commit path) to 10,000 events, then:
 * - SSE: `GET /runs/{id}/events?follow=false` from the request to the end of the stream, every seq
 *   1..N received in order;
 * - JSON: `GET /runs/{id}/events?format=json&limit=1000` page after page, the same check.
 * Each is repeated and the median reported.
 *
 * Memory: the log is grown to 10k, 50k and 100k events and replayed whole over SSE at each size,
 * its chain verified (`GET /runs/{id}/verify`) and exported whole (`GET /runs/{id}/export`, every
 * line counted); after each replay the bench reads the RSS of the workerd process that runs the workers, the run's
 * RunState snapshot size and its database size. A log that were loaded whole would show as at
 * least ~270 bytes per event held (tens of MiB at 100k).
 */
import { expectStatus, openSse } from "./lib/http.mjs";
import { median } from "./lib/stats.mjs";
import { startWaitingRun } from "./waiting-run.mjs";

async function fillTo(baseUrl, runId, target) {
  const stats = await expectStatus(200, "GET", `${baseUrl}/__bench/runs/${runId}/stats`);
  if (stats.last_seq > target) throw new Error(`run ${runId} already has ${stats.last_seq} events`);
  // In RPCs of at most 10k events, so no single call holds the object for long.
  let last = stats;
  while (last.last_seq < target) {
    const n = Math.min(10_000, target - last.last_seq);
    last = await expectStatus(200, "POST", `${baseUrl}/__bench/runs/${runId}/fill?n=${n}`);
  }
  if (last.last_seq !== target) throw new Error(`fill: expected ${target} events, have ${last.last_seq}`);
  return last;
}

/** The whole log over SSE without following; checks every seq arrives once, in order. */
export async function replaySse(baseUrl, runId, expected) {
  const started = performance.now();
  let next = 1;
  let end = started;
  const stream = openSse(`${baseUrl}/runs/${runId}/events?follow=false`, (frame) => {
    if (frame.id !== next) throw new Error(`replay: frame ${frame.id} where ${next} was expected`);
    next += 1;
    end = frame.at;
  });
  await stream.done;
  const finished = performance.now();
  if (next - 1 !== expected) throw new Error(`replay: ${next - 1} events, expected ${expected}`);
  return { ms: finished - started, lastFrameMs: end - started };
}

/** The whole log as JSON pages of 1,000 (the API's maximum); same checks. */
export async function replayJson(baseUrl, runId, expected) {
  const started = performance.now();
  let after = 0;
  for (;;) {
    const page = await expectStatus(200, "GET", `${baseUrl}/runs/${runId}/events?format=json&after=${after}&limit=1000`);
    for (const event of page.events) {
      if (event.seq !== after + 1) throw new Error(`json replay: seq ${event.seq} where ${after + 1} was expected`);
      after = event.seq;
    }
    if (page.next_after !== after) throw new Error(`json replay: next_after ${page.next_after}, last seq ${after}`);
    if (page.events.length < 1000 || after === expected) break;
  }
  if (after !== expected) throw new Error(`json replay: ${after} events, expected ${expected}`);
  return { ms: performance.now() - started };
}

export async function benchReplay(baseUrl, { events = 10_000, repeats = 5, log = () => {} } = {}) {
  const run = await startWaitingRun(baseUrl, "the replay bench's run");
  const fillStarted = performance.now();
  const stats = await fillTo(baseUrl, run.run_id, events);
  const fillMs = performance.now() - fillStarted;
  log(`replay: ${events} events appended in ${fillMs.toFixed(0)} ms`);
  await replaySse(baseUrl, run.run_id, events); // warm-up: SQLite pages in cache, code paths compiled
  const sse = [];
  const json = [];
  for (let i = 0; i < repeats; i++) {
    sse.push((await replaySse(baseUrl, run.run_id, events)).ms);
    json.push((await replayJson(baseUrl, run.run_id, events)).ms);
  }
  return {
    run_id: run.run_id,
    events,
    repeats,
    fill: { ms: fillMs, perEventUs: (fillMs * 1000) / (events - run.last_seq) },
    sse: { median: median(sse), min: Math.min(...sse), max: Math.max(...sse) },
    json: { median: median(json), min: Math.min(...json), max: Math.max(...json) },
    snapshotBytes: stats.snapshot_bytes,
  };
}

/** `GET /runs/{id}/verify`: the whole chain re-hashed from storage. */
async function timeVerify(baseUrl, runId, expected) {
  const started = performance.now();
  const check = await expectStatus(200, "GET", `${baseUrl}/runs/${runId}/verify`);
  const ms = performance.now() - started;
  if (!check.valid || check.last_seq !== expected) throw new Error(`verify: ${JSON.stringify(check)}`);
  return ms;
}

/** `GET /runs/{id}/export` read to its end: one JSON line per event. */
async function timeExport(baseUrl, runId, expected) {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/runs/${runId}/export`);
  if (response.status !== 200) throw new Error(`export: ${response.status}`);
  let lines = 0;
  let bytes = 0;
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    for (const ch of decoder.decode(chunk, { stream: true })) if (ch === "\n") lines += 1;
  }
  const ms = performance.now() - started;
  if (lines !== expected) throw new Error(`export: ${lines} lines, expected ${expected}`);
  return { ms, bytes };
}

/**
 * Grows one run's log through `sizes` (ascending), replaying it whole at each size, and samples
 * memory after each replay with `sample()` ({rss} in bytes, or null).
 */
export async function benchMemory(baseUrl, runId, sizes, sample, log = () => {}) {
  const points = [];
  for (const size of sizes) {
    const stats = await fillTo(baseUrl, runId, size);
    log(`memory: log at ${size} events, replaying it`);
    const replay = await replaySse(baseUrl, runId, size);
    const verifyMs = await timeVerify(baseUrl, runId, size);
    const exported = await timeExport(baseUrl, runId, size);
    const memory = await sample();
    points.push({
      events: size,
      replayMs: replay.ms,
      verifyMs,
      exportMs: exported.ms,
      exportBytes: exported.bytes,
      snapshotBytes: stats.snapshot_bytes,
      dbBytes: stats.db_bytes,
      ...memory,
    });
    log(`memory at ${size} events: rss ${memory.rss}, replay ${replay.ms.toFixed(0)} ms, verify ${verifyMs.toFixed(0)} ms, export ${exported.ms.toFixed(0)} ms`);
  }
  return points;
}
