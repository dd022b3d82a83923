/**
 * `npm run bench:fsync` (bench/fsync.mjs): how many times a run makes the disk sync, against the
 * baseline object, counted with `strace` on the workerd process that runs the workers. workerd
 * writes SQLite on the thread that runs every object, so under load each `fsync` stalls them all
 * (README, "Where a run's time goes: the disk"). Needs `strace` (`apt-get install -y strace`) and
 * permission to trace a child process. Not part of `npm run bench`.
 *
 * Prints, per sequential run, the fsync and fdatasync calls by file: the run object's database
 * (its creation: rollback journal, directory, file; then its WAL), the namespace's alarm database,
 * the tenant's database, D1, and the baseline object's, for the engine's plain message and for the
 * baseline streaming as many rows.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PLAIN_MESSAGE, timeBaseline, timeRun } from "./offline.mjs";
import { startWrangler, workerdRss } from "./lib/wrangler.mjs";

const N = Number(process.env.FSYNC_RUNS ?? 50);
const MESSAGE = process.env.BENCH_MESSAGE ?? "hello there";
const log = (line) => console.error(`[fsync] ${line}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

try {
  execFileSync("strace", ["-V"], { stdio: "ignore" });
} catch {
  console.error("bench:fsync needs strace on PATH (Debian: apt-get install -y strace)");
  process.exit(1);
}

/** What a synced file is, from its path under wrangler's --persist-to folder. */
function kind(file) {
  const object = /\/v3\/do\/[^/]*-(\w+)(?:\/([^/]*))?$/.exec(file);
  if (object !== null) {
    const [, cls, name = ""] = object;
    if (name === "") return `${cls}: directory`;
    if (name.startsWith("metadata.sqlite")) return `${cls}: namespace alarm database`;
    if (name.endsWith(".sqlite-wal")) return `${cls}: WAL`;
    if (name.endsWith(".sqlite-journal")) return `${cls}: rollback journal`;
    if (name.endsWith(".sqlite")) return `${cls}: database file`;
    return `${cls}: ${name.replace(/^[0-9a-f]{64}/, "<id>")}`;
  }
  if (file.includes("/v3/d1/")) return "D1";
  return file.replace(/^.*\/state\//, "");
}

/** Runs `work` n times in sequence under strace; returns fsync calls per run by kind of file. */
async function counted(pid, n, work) {
  const out = path.join(tmpdir(), `bench-fsync-${process.pid}-${Date.now()}.txt`);
  const tracer = spawn("strace", ["-f", "-y", "-e", "trace=fsync,fdatasync", "-o", out, "-p", String(pid)], { stdio: "ignore" });
  await sleep(500);
  for (let i = 0; i < n; i++) await work();
  // Let what follows a run (its end notice, the tenant's write) land inside the count.
  await sleep(1500);
  tracer.kill("SIGINT");
  await new Promise((resolve) => tracer.once("exit", resolve));
  const counts = new Map();
  for (const line of readFileSync(out, "utf8").split("\n")) {
    const match = /\b(fsync|fdatasync)\(\d+<([^>]*)>/.exec(line);
    if (match === null) continue;
    const key = kind(match[2]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return new Map([...counts].map(([key, count]) => [key, count / n]));
}

const server = await startWrangler({ log });
try {
  const workerd = workerdRss(server.pid);
  if (workerd === null) throw new Error("could not tell the workers' workerd process apart");
  const warm = await timeRun(server.baseUrl, MESSAGE);
  for (let i = 0; i < 9; i++) await timeRun(server.baseUrl, MESSAGE);
  const rowBytes = Math.round(warm.bytes / warm.events);
  for (let i = 0; i < 10; i++) await timeBaseline(server.baseUrl, warm.events, rowBytes);
  log(`${N} runs of ${JSON.stringify(MESSAGE)} (${warm.events} events), then ${N} baselines of as many rows`);
  const engine = await counted(workerd.pid, N, () => timeRun(server.baseUrl, MESSAGE));
  const baseline = await counted(workerd.pid, N, () => timeBaseline(server.baseUrl, warm.events, rowBytes));
  const keys = [...new Set([...engine.keys(), ...baseline.keys()])].sort();
  const total = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`fsync per sequential run, ${N} each (strace on the workers' workerd, pid ${workerd.pid}); message ${JSON.stringify(MESSAGE)}\n`);
  console.log("| synced file | engine run | baseline |\n| --- | --: | --: |");
  for (const key of keys) console.log(`| ${key} | ${(engine.get(key) ?? 0).toFixed(2)} | ${(baseline.get(key) ?? 0).toFixed(2)} |`);
  console.log(`| in all | ${total(engine).toFixed(2)} | ${total(baseline).toFixed(2)} |`);
} finally {
  await server.stop();
}
