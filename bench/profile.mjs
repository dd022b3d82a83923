/**
 * `npm run bench:profile` (bench/profile.mjs): why an offline run costs what it costs, against the
 * baseline. Not part of `npm run bench` (it restarts wrangler and takes about a minute). It prints:
 *
 * 1. what one offline run asks of the platform (BENCH_COUNT=1, see bench/counting.ts): SQL
 *    statements, transactions (commits), alarm writes, D1 statements, Queue sends, knowledge RPCs,
 *    log lines, SQLite rows read and written, and the SSE frames and event bytes it streams;
 * 2. where its wall time goes, from the client's clock and the events' server timestamps;
 * 3. the isolate's CPU samples by source module, for runs and for baselines (V8's sampling
 *    profiler through wrangler's inspector; native work such as SQLite shows under the JS frame
 *    that called it, or as `(program)`);
 * 4. run and baseline latency with the shipped LOG_LEVEL (info) and with LOG_LEVEL=debug (every
 *    request and every completed run logged: what a line costs under wrangler dev).
 */
import { bundleModules, openProfiler, selfTimes } from "./lib/cpu-profile.mjs";
import { expectStatus, openSse } from "./lib/http.mjs";
import { median } from "./lib/stats.mjs";
import { ROOT, startWrangler } from "./lib/wrangler.mjs";
import { PLAIN_MESSAGE, timeBaseline, timeRun } from "./offline.mjs";

const N = Number(process.env.PROFILE_RUNS ?? 30);
const log = (line) => console.error(`[profile] ${line}`);

/** One run with its timeline: client clock for POST and receipt, server `ts` for the rest. */
async function timedRun(base) {
  const t0 = performance.now();
  const { run_id } = await expectStatus(201, "POST", `${base}/runs`, { message: PLAIN_MESSAGE });
  const posted = performance.now();
  const frames = [];
  await openSse(`${base}/runs/${run_id}/events`, (frame) => frames.push(frame)).done;
  const events = frames.map((f) => ({ ...JSON.parse(f.data), at: performance.timeOrigin + f.at }));
  const origin = performance.timeOrigin + t0;
  const firstStep = events.find((e) => e.type === "workflow.step.started");
  const last = events.at(-1);
  if (last.type !== "run.completed") throw new Error(`run ${run_id} ended in ${last.type}`);
  const steps = {};
  for (const e of events) {
    if (e.type === "workflow.step.started") steps[e.data.step] = -Date.parse(e.ts);
    if (e.type === "workflow.step.completed") steps[e.data.step] += Date.parse(e.ts);
  }
  return {
    events: events.length,
    timeline: {
      "total (client)": frames.at(-1).at - t0,
      "POST /runs answered": posted - t0,
      "… of which until run.started is stamped": Date.parse(events[0].ts) - origin,
      "run.started → first step (alarm hop)": Date.parse(firstStep.ts) - Date.parse(events[0].ts),
      "first step → run.completed (steps)": Date.parse(last.ts) - Date.parse(firstStep.ts),
      "run.completed ts → client receipt": last.at - Date.parse(last.ts),
      ...Object.fromEntries(Object.entries(steps).map(([step, ms]) => [`  step ${step}`, ms])),
    },
  };
}

async function interleaved(base, shape, rounds = 3, perRound = 15) {
  const runs = [];
  const baselines = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < perRound; i++) runs.push((await timeRun(base)).ms);
    for (let i = 0; i < perRound; i++) baselines.push((await timeBaseline(base, shape.events, shape.rowBytes)).ms);
  }
  return { run: median(runs), baseline: median(baselines) };
}

const fmt = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

async function main() {
  // 1-3: counted and profiled, with the shipped configuration.
  const dev = await startWrangler({ vars: { BENCH_COUNT: "1" }, log });
  let shape;
  try {
    const base = dev.baseUrl;
    for (let i = 0; i < 10; i++) await timeRun(base);
    const sample = await timeRun(base);
    shape = { events: sample.events, rowBytes: Math.round(sample.bytes / sample.events) };
    for (let i = 0; i < 5; i++) await timeBaseline(base, shape.events, shape.rowBytes);

    await expectStatus(200, "POST", `${base}/__bench/counters`);
    const timelines = [];
    for (let i = 0; i < N; i++) timelines.push((await timedRun(base)).timeline);
    // Let each run's last outbox flush (the index row) finish before reading the counters.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const counts = await expectStatus(200, "POST", `${base}/__bench/counters`);
    // The same counts for the baseline (its object's storage; it has no D1, tenant or knowledge).
    for (let i = 0; i < N; i++) await timeBaseline(base, shape.events, shape.rowBytes);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const floor = await expectStatus(200, "POST", `${base}/__bench/counters`);
    console.log(`## One offline run (${shape.events} events) and one baseline, mean of ${N}\n`);
    console.log("| operation | run | baseline |\n| --- | --- | --- |");
    for (const [key, value] of Object.entries(counts)) console.log(`| ${key} | ${fmt(value / N)} | ${fmt((floor[key] ?? 0) / N)} |`);
    console.log(`| SSE frames streamed | ${shape.events} | ${shape.events + 1} |`);
    console.log(`| event bytes (the envelopes' JSON) | ${shape.events * shape.rowBytes} | ${shape.events * shape.rowBytes} |`);
    console.log(`\n## Where the wall time goes (median of ${N}, ms)\n`);
    console.log("| span | ms |\n| --- | --- |");
    for (const key of Object.keys(timelines[0])) console.log(`| ${key} | ${fmt(median(timelines.map((t) => t[key] ?? 0)))} |`);

    const moduleOf = bundleModules(dev.dir, ROOT);
    const profiler = await openProfiler(8841);
    for (const [name, task] of [
      ["offline run", () => timeRun(base)],
      ["baseline", () => timeBaseline(base, shape.events, shape.rowBytes)],
    ]) {
      await profiler.start(100);
      for (let i = 0; i < N; i++) await task();
      const { byArea, byFunction } = selfTimes(await profiler.stop(), moduleOf);
      const busy = byArea.filter(([where]) => where !== "(idle)").reduce((sum, [, ms]) => sum + ms, 0);
      console.log(`\n## CPU samples per ${name}: ${fmt(busy / N)} ms not idle\n`);
      console.log("| module or runtime | ms |\n| --- | --- |");
      for (const [where, ms] of byArea.filter(([w]) => w !== "(idle)").slice(0, 15)) console.log(`| ${where} | ${(ms / N).toFixed(2)} |`);
      console.log(`\nTop functions: ${byFunction.filter(([f]) => !f.startsWith("(idle)")).slice(0, 12).map(([f, ms]) => `${f} ${(ms / N).toFixed(2)}`).join("; ")}`);
    }
    profiler.close();

    console.log("\n## Latency p50 (interleaved with the baseline), shipped config and LOG_LEVEL=debug\n");
    console.log("| configuration | run | baseline | ratio |\n| --- | --- | --- | --- |");
  } finally {
    await dev.stop();
  }
  // 4: the same comparison in fresh instances (no counting wrappers), shipped and logging everything.
  const variants = [
    ["info (shipped)", { LOG_LEVEL: "info" }],
    ["debug", { LOG_LEVEL: "debug" }],
  ];
  for (const [label, vars] of variants) {
    const instance = await startWrangler({ vars, log });
    try {
      for (let i = 0; i < 10; i++) {
        await timeRun(instance.baseUrl);
        await timeBaseline(instance.baseUrl, shape.events, shape.rowBytes);
      }
      const { run, baseline } = await interleaved(instance.baseUrl, shape);
      console.log(`| ${label} | ${fmt(run)} ms | ${fmt(baseline)} ms | ${(run / baseline).toFixed(2)}x |`);
    } finally {
      await instance.stop();
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
