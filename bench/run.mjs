/**
 * `npm run bench`: starts `wrangler dev` (local, fresh state, the bench entry of
 * bench/bench-worker.ts under a config generated from wrangler.toml, plus the tool-executor worker
 * when it exists), drives it over HTTP, prints a markdown table, writes it to
 * bench/results/latest.md, and stops wrangler. Every ratio compares figures measured in this same
 * run. Any failed run, missing event or broken stream fails the bench (exit code 1).
 *
 * BENCH_QUICK=1 shrinks every sample count (a smoke test of the bench itself, not figures).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchFanout } from "./sse-fanout.mjs";
import { ROOT, startWrangler, workerdRss } from "./lib/wrangler.mjs";
import { latency, throughput, timeBaseline, timeRun } from "./offline.mjs";
import { benchMemory, benchReplay } from "./replay.mjs";
import { benchRetrieval } from "./retrieval.mjs";
import { renderReport } from "./report.mjs";

const QUICK = process.env.BENCH_QUICK === "1";
const PORT = 8840;
const INSPECTOR_PORT = 8841; // wrangler's; the bench does not use it
const started = performance.now();
const log = (line) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${line}`);

function facts() {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // not a git checkout
  }
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memory: os.totalmem(),
    node: process.version,
    commit,
    loadBefore: os.loadavg(),
  };
}

/** The optional tool round trip (bench/tool-roundtrip.mjs, owned by the tools work). */
async function toolRoundTrip(baseUrl, tools) {
  if (!tools) return { skipped: "src/tools/wrangler.toml is not on this branch: no executor worker to call" };
  let mod;
  try {
    mod = await import("./tool-roundtrip.mjs");
  } catch (error) {
    if (error.code !== "ERR_MODULE_NOT_FOUND") throw error;
    return { skipped: "bench/tool-roundtrip.mjs is not on this branch yet" };
  }
  return mod.benchToolRoundTrip({ baseUrl, runs: QUICK ? 5 : 30, directPort: 8842, directInspectorPort: 8843 });
}

/** Fails the bench instead of hanging when a step stops making progress. */
function within(seconds, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  const machine = facts();
  log(`machine: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, load ${machine.loadBefore.map((l) => l.toFixed(2)).join(" ")}`);
  const dev = await startWrangler({ port: PORT, inspectorPort: INSPECTOR_PORT, log });
  const results = { machine, tools: dev.tools };
  try {
    const base = dev.baseUrl;

    // The shape of an offline run: its event count and mean event size, from warm runs.
    for (let i = 0; i < 3; i++) await timeRun(base);
    const shapes = [];
    for (let i = 0; i < 3; i++) shapes.push(await timeRun(base));
    if (new Set(shapes.map((s) => s.events)).size !== 1) throw new Error(`offline runs differ in length: ${shapes.map((s) => s.events)}`);
    const shape = { events: shapes[0].events, rowBytes: Math.round(shapes[0].bytes / shapes[0].events) };
    results.shape = shape;
    log(`an offline run has ${shape.events} events of ${shape.rowBytes} bytes on average; the baseline appends as many`);

    log("1. offline run latency (sequential, interleaved with the baseline)");
    results.latency = await within(120, "the latency bench", latency(base, shape, QUICK ? { warmup: 2, rounds: 2, perRound: 5, log } : { warmup: 10, rounds: 5, perRound: 20, log }));

    log("2. throughput with 20 in flight (rounds of baselines and runs, alternating)");
    const rounds = QUICK ? 2 : 5;
    const perRound = QUICK ? 50 : 100;
    const baselineTask = () => timeBaseline(base, shape.events, shape.rowBytes);
    results.throughput = { rounds: [], inFlight: 20, perRound };
    for (let round = 0; round < rounds; round++) {
      const baseline = await throughput(baselineTask, { total: perRound, inFlight: 20 });
      const runs = await throughput(() => timeRun(base), { total: perRound, inFlight: 20 });
      results.throughput.rounds.push({ runs: runs.perSecond, baseline: baseline.perSecond });
      log(`throughput round ${round + 1}/${rounds}: runs ${runs.perSecond.toFixed(1)}/s, baseline ${baseline.perSecond.toFixed(1)}/s`);
    }

    log("3. SSE fan-out to 1,000 subscribers of one run");
    results.fanout = await within(60, "the fan-out bench", benchFanout(base, { subscribers: QUICK ? 100 : 1000, triggers: QUICK ? 3 : 10, log }));

    log("4. replay of a 10,000-event log");
    results.replay = await within(60, "the replay bench", benchReplay(base, { events: 10_000, repeats: QUICK ? 2 : 5, log }));

    log("5. memory as one run's log grows to 100,000 events");
    // The RSS of the workerd process that runs the workers (see the report's notes for what it holds).
    const sample = async () => ({ rss: workerdRss(dev.pid)?.rss_bytes ?? null });
    results.memory = await within(120, "the memory bench", benchMemory(base, results.replay.run_id, QUICK ? [10_000, 20_000] : [10_000, 50_000, 100_000], sample, log));

    log("6. tool round trip");
    results.tools_roundtrip = await within(120, "the tool round trip", toolRoundTrip(base, dev.tools));

    // Last: its 20,000 chunks would otherwise be searched by every run's retrieve step above.
    log("7. retrieval, top-5 over 20,000 chunks (a tenant shard at its cap)");
    results.retrieval = await within(240, "the retrieval bench", benchRetrieval({ baseUrl: base, targetChunks: QUICK ? 1000 : 20_000, searches: QUICK ? 20 : 200 }));
  } catch (error) {
    console.error(dev.log().slice(-4000));
    throw error;
  } finally {
    await dev.stop();
  }
  results.machine.loadAfter = os.loadavg();
  results.seconds = (performance.now() - started) / 1000;

  const report = renderReport(results, QUICK);
  process.stdout.write(`${report}\n`);
  const dir = path.join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "latest.md"), `${report}\n`);
  writeFileSync(path.join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote bench/results/latest.md in ${results.seconds.toFixed(0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
