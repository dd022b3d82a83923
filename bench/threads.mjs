/**
 * Threads (issue 12), against `wrangler dev`:
 * - hand-off: a thread gets `handoffs + 1` offline messages at once, so all but the first queue;
 *   for each queued run, the time from its predecessor's terminal event to its own `run.started`,
 *   read from the two events' `ts` (both written by the same workerd clock). That is the whole
 *   path: the end's commit, the run's outbox notice to its thread, the thread recording it and
 *   starting the next run, and that run's first commit.
 * - replay: the thread's whole stream (`GET /threads/{id}/events?follow=false`) once it has `turns`
 *   turns, from the request to the end of the stream, every event checked (ids `<turn>.<seq>`
 *   strictly increasing, the count equal to the sum of the runs' logs); the median of `rounds`.
 *
 * `node bench/threads.mjs` starts its own wrangler dev (ports 8870/9370, fresh state) and prints
 * the figures; `benchThreads({ baseUrl })` is the same for a bench that already runs one.
 */
import { expectStatus, openSse } from "./lib/http.mjs";
import { median, ms, sleep, summary } from "./lib/stats.mjs";

const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);

async function waitIdle(baseUrl, threadId, turns, timeoutMs) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const thread = await expectStatus(200, "GET", `${baseUrl}/threads/${threadId}`);
    if (thread.status === "idle" && thread.runs.length === turns) return thread;
    if (Date.now() > until) throw new Error(`thread ${threadId} did not finish ${turns} turns in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Every event of the thread, through its JSON pages. */
async function threadLog(baseUrl, threadId) {
  const events = [];
  for (let after = "0"; ; ) {
    const page = await expectStatus(200, "GET", `${baseUrl}/threads/${threadId}/events?format=json&after=${after}&limit=1000`);
    events.push(...page.events);
    if (page.events.length === 0) return events;
    after = page.next_after;
  }
}

/** A thread whose `count` messages all arrive at once: the first starts, the rest queue. */
async function queuedThread(baseUrl, count) {
  const { thread_id: threadId } = await expectStatus(201, "POST", `${baseUrl}/threads`, {});
  const replies = [];
  for (let i = 0; i < count; i++) replies.push(await expectStatus(201, "POST", `${baseUrl}/threads/${threadId}/runs`, { message: `hello number ${i + 1}` }));
  if (replies.some((r, i) => r.turn !== i + 1)) throw new Error(`turns out of order: ${replies.map((r) => r.turn)}`);
  await waitIdle(baseUrl, threadId, count, 30_000 + count * 2_000);
  return threadId;
}

export async function benchHandoff({ baseUrl, handoffs = 40 }) {
  const threadId = await queuedThread(baseUrl, handoffs + 1);
  const events = await threadLog(baseUrl, threadId);
  const byRun = new Map();
  for (const event of events) {
    if (!byRun.has(event.run_id)) byRun.set(event.run_id, []);
    byRun.get(event.run_id).push(event);
  }
  const runs = [...byRun.values()];
  const gaps = [];
  for (let i = 1; i < runs.length; i++) {
    const ended = runs[i - 1].find((e) => TERMINAL.has(e.type));
    const started = runs[i][0];
    if (started.type !== "run.started" || started.data.turn !== i + 1) throw new Error(`turn ${i + 1}: first event ${started.type}`);
    if (ended === undefined || ended.type !== "run.completed") throw new Error(`turn ${i}: did not complete`);
    gaps.push(Date.parse(started.ts) - Date.parse(ended.ts));
  }
  if (gaps.some((gap) => gap < 0)) throw new Error(`a run started before its predecessor ended: ${gaps}`);
  return { threadId, ...summary(gaps) };
}

/**
 * The thread's whole stream, without following. Checks every event arrives once, in order: within a
 * run seq after seq from 1, and the runs in turn order (`runs`, from the JSON pages).
 */
async function replayOnce(baseUrl, threadId, runs, expected) {
  const started = performance.now();
  let count = 0;
  let run = -1;
  let seq = 0;
  const stream = openSse(`${baseUrl}/threads/${threadId}/events?follow=false`, (frame) => {
    if (frame.type === "message") return; // the `retry:` frame
    const event = JSON.parse(frame.data);
    if (event.seq === 1) {
      run += 1;
      seq = 0;
    }
    if (event.run_id !== runs[run] || event.seq !== seq + 1) throw new Error(`thread replay: ${event.run_id} ${event.seq} out of order`);
    seq = event.seq;
    count += 1;
  });
  await stream.done;
  const elapsed = performance.now() - started;
  if (count !== expected) throw new Error(`thread replay: ${count} events, expected ${expected}`);
  return elapsed;
}

export async function benchThreadReplay({ baseUrl, turns = 50, rounds = 5 }) {
  const threadId = await queuedThread(baseUrl, turns);
  const log = await threadLog(baseUrl, threadId);
  const runs = [...new Set(log.map((event) => event.run_id))];
  if (runs.length !== turns) throw new Error(`thread replay: ${runs.length} runs in the log, expected ${turns}`);
  await replayOnce(baseUrl, threadId, runs, log.length); // warm
  const times = [];
  for (let i = 0; i < rounds; i++) times.push(await replayOnce(baseUrl, threadId, runs, log.length));
  return { threadId, turns, events: log.length, rounds, median: median(times), min: Math.min(...times), max: Math.max(...times) };
}

export async function benchThreads({ baseUrl, quick = false }) {
  const handoff = await benchHandoff({ baseUrl, handoffs: quick ? 5 : 40 });
  const replay = await benchThreadReplay({ baseUrl, turns: quick ? 10 : 50, rounds: quick ? 2 : 5 });
  return { handoff, replay };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startWrangler } = await import("./lib/wrangler.mjs");
  const log = (line) => console.error(`[threads bench] ${line}`);
  const dev = await startWrangler({ port: Number(process.env.PORT ?? 8870), inspectorPort: Number(process.env.INSPECTOR_PORT ?? 9370), log });
  try {
    // Warm the isolate and the knowledge index first.
    await queuedThread(dev.baseUrl, 3);
    const { handoff, replay } = await benchThreads({ baseUrl: dev.baseUrl, quick: process.env.BENCH_QUICK === "1" });
    console.log(
      [
        "| measurement | value |",
        "| --- | --- |",
        `| Queued run: predecessor's terminal event → its \`run.started\`, p50 / p95 / max of ${handoff.n} | ${ms(handoff.p50)} / ${ms(handoff.p95)} / ${ms(handoff.max)} |`,
        `| Thread replay, ${replay.turns} turns (${replay.events} events), SSE \`?follow=false\`, median of ${replay.rounds} | ${ms(replay.median)} (min ${ms(replay.min)}, max ${ms(replay.max)}) |`,
      ].join("\n"),
    );
  } finally {
    await dev.stop();
  }
}
