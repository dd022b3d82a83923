#!/usr/bin/env node
/**
 * `npm run test:chaos`: the engine under SIGKILL, from outside. Starts `wrangler dev` with both
 * workers on a fresh persistence folder, computes uncrashed reference outputs, then for each cycle
 * starts a wave of runs of every kind, kills the whole process group at a seeded moment (mid-step,
 * right after an approval, while runs wait, right after a restart), restarts on the same folder and
 * keeps driving every run until it ends. Then it checks every run (lib/checks.mjs) and counts the
 * notes each approval saved, prints the figures, writes a JSON summary and exits non-zero on any
 * violation.
 *
 *   npm run test:chaos                       CI mode: 20 kills, waves of 5 runs
 *   npm run test:chaos -- --seed 42          reproduce a session's plan
 *   npm run test:chaos -- --long             200 kills (or CHAOS_KILLS=200)
 *   KEEP_STATE=1 npm run test:chaos          keep the persistence folder and wrangler's logs
 *
 * Options: --seed N, --kills N, --long, --wave N, --port P, --inspector-port I, --tool-wait-ms MS,
 * --approval-ttl-ms MS, --drain-s S, --out FILE; env CHAOS_SEED, CHAOS_KILLS, CHAOS_PORT,
 * CHAOS_INSPECTOR_PORT, KEEP_STATE.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkRun, effectViolations, readFinal } from "./lib/checks.mjs";
import { DevServer } from "./lib/dev-server.mjs";
import { Driver, newRun, waitingReason } from "./lib/driver.mjs";
import { loadEngine } from "./lib/engine-reducer.mjs";
import { sleep } from "./lib/http.mjs";
import { referenceKey } from "./lib/kinds.mjs";
import { listNotes } from "./lib/notes.mjs";
import { makePlan, REFERENCE_CHUNK, referenceSpecs } from "./lib/plan.mjs";
import { createRng } from "./lib/prng.mjs";
import { figures, renderKinds, renderTable } from "./lib/report.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function parseOptions(argv) {
  const flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split("=", 2);
    if (name === "long") flags.set("long", "1");
    else flags.set(name, inline ?? argv[++i]);
  }
  const known = new Set(["seed", "kills", "long", "wave", "port", "inspector-port", "tool-wait-ms", "approval-ttl-ms", "drain-s", "out"]);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown option --${name}`);
  const int = (value, fallback) => {
    if (value === undefined || value === "") return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a non-negative integer: ${value}`);
    return n;
  };
  const long = flags.has("long");
  const kills = int(flags.get("kills") ?? process.env.CHAOS_KILLS, long ? 200 : 20);
  // TOOL_WAIT_MS 15 s instead of 60 s: a Queue message lost in a kill makes its run wait this long
  // before it times out (today's engine never re-sends), which would make CI mode last far over 10
  // minutes at 60 s; 15 s is still far above a real call's latency under load (under a second).
  // APPROVAL_TTL_MS 10 min instead of 15: the suite decides every approval, but under heavy load
  // and back-to-back kills the server is up only seconds at a time; 2 min proved too short once.
  const toolWaitMs = int(flags.get("tool-wait-ms"), 15_000);
  return {
    seed: int(flags.get("seed") ?? process.env.CHAOS_SEED, randomBytes(4).readUInt32BE(0) % 1_000_000),
    kills,
    mode: kills >= 200 ? "long" : "ci",
    wave: int(flags.get("wave"), 5),
    port: int(flags.get("port") ?? process.env.CHAOS_PORT, 8850),
    inspectorPort: int(flags.get("inspector-port") ?? process.env.CHAOS_INSPECTOR_PORT, 9350),
    toolWaitMs,
    approvalTtlMs: int(flags.get("approval-ttl-ms"), 600_000),
    drainMs: int(flags.get("drain-s"), Math.ceil((3 * toolWaitMs + 30_000) / 1000)) * 1000,
    out: flags.get("out") ?? path.join(ROOT, "test/chaos/results/latest.json"),
    keep: process.env.KEEP_STATE === "1",
  };
}

const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);
const log = (line) => console.log(`[chaos ${elapsed()}s] ${line}`);

/** API keys: one tenant per cycle for the chaos runs and one per cycle for the references, so that
 * each tenant's notes stay far below the notes server's list limit and count exactly. */
function tenants(kills) {
  const keys = {};
  const keyOf = new Map();
  for (let cycle = 1; cycle <= kills; cycle++) {
    for (const tenant of [`chaos-c${cycle}`, `ref-c${cycle}`]) {
      const key = `ck-${tenant}-${randomBytes(6).toString("hex")}`;
      keys[key] = { tenant_id: tenant, user_id: "chaos", scopes: ["admin"] };
      keyOf.set(tenant, key);
    }
  }
  return { apiKeys: JSON.stringify(keys), keyOf };
}

async function driveToEnd(driver, runs, timeoutMs) {
  await driver.until(() => runs.every((run) => run.ended), timeoutMs);
  return runs.filter((run) => !run.ended);
}

/** Final checks of one ended (or given-up) run. */
async function verifyRun(server, run, engine, references, pageSize) {
  run.violations = [...run.problems];
  if (run.runId === null) {
    run.lost = true;
    run.violations.push({ check: "lost", detail: `never created: POST /runs answered ${run.startAnswers.join(", ") || "nothing"}` });
    return;
  }
  if (!run.ended) {
    run.lost = true;
    run.violations.push({ check: "lost", detail: `no terminal event before the deadline; last seen: ${run.events.at(-1)?.seq} ${run.events.at(-1)?.type} (waiting: ${waitingReason(run)})` });
  }
  if (run.violations.some((v) => v.check === "vanished")) run.lost = true;
  let final;
  try {
    final = await readFinal(server.baseUrl, run, pageSize);
  } catch (error) {
    run.lost = true;
    run.violations.push({ check: "read", detail: String(error.message ?? error) });
    return;
  }
  const referenceOutput = references?.get(referenceKey(run.spec));
  const { violations, facts, terminal } = checkRun(run, final, { ...engine, referenceOutput });
  run.violations.push(...violations);
  run.finalTerminal = terminal?.type ?? null;
  run.output = terminal?.type === "run.completed" ? terminal.data.output : null;
  run.duplicates = facts.duplicates;
  run.facts = facts;
  run.terminalEvent = terminal ?? null;
  run.finalEvents = final.events.length;
  run.finalLog = final.events;
}

/** Final checks of a set of runs, then their side effects in the notes store. */
async function verifyRuns(server, runs, engine, references, rng, token) {
  // Page sizes are drawn up front, in run order, so that the seed fixes them whatever the timing.
  const pageSizes = runs.map(() => rng.int(1, 40));
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const i = next++;
      await verifyRun(server, runs[i], engine, references, pageSizes[i]);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const byTenant = new Map();
  for (const run of runs.filter((r) => r.spec.effect !== null)) {
    byTenant.set(run.tenant, [...(byTenant.get(run.tenant) ?? []), run]);
  }
  for (const [tenant, mine] of byTenant) {
    const notes = await listNotes(server.baseUrl, token, tenant);
    for (const run of mine) {
      run.observed = notes.filter((note) => note.text === run.spec.effect.text).length;
      run.violations.push(...effectViolations(run, run.observed, run.facts ?? { sideEffects: [] }, run.terminalEvent ?? null));
    }
  }
}

function summaryOf(run, seed) {
  return {
    label: run.label,
    run_id: run.runId,
    kind: run.kind,
    cycle: run.cycle,
    tenant: run.tenant,
    seed,
    message: run.spec.message,
    decision: run.spec.decision,
    cancel_at: run.spec.cancelAt,
    terminal: run.finalTerminal ?? null,
    events: run.finalEvents ?? run.events.length,
    kills: run.kills,
    approvals: [...run.approvals].map(([request_id, b]) => ({ request_id, status: b.status, answers: b.answers })),
    cancel: run.cancel,
    effect: run.spec.effect === null ? null : { ...run.spec.effect, observed: run.observed ?? null },
    output: run.output ?? null,
    anomalies: run.anomalies,
    violations: run.violations,
    // The whole log of a run that failed a check, to diagnose it without the server.
    log: run.violations.length > 0 ? (run.finalLog ?? run.events) : undefined,
  };
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const rng = createRng(options.seed);
  const planRng = rng.fork();
  const checkRng = rng.fork();
  const refCheckRng = rng.fork();
  log(`seed ${options.seed} (reproduce: npm run test:chaos -- --seed ${options.seed}${options.mode === "long" ? ` --kills ${options.kills}` : ""}); ${options.kills} kills, waves of ${options.wave}`);
  const plan = makePlan(planRng, { kills: options.kills, wave: options.wave, seed: options.seed });
  const refSpecs = referenceSpecs(plan);

  const dir = mkdtempSync(path.join(os.tmpdir(), "run-engine-chaos-"));
  const cleanup = () => {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  };
  // Also when the process dies some other way (an uncaught error, a closed stdout).
  process.on("exit", cleanup);
  const token = randomBytes(16).toString("hex");
  const { apiKeys, keyOf } = tenants(options.kills);
  const apiVars = {
    API_KEYS: apiKeys,
    TOOL_WAIT_MS: String(options.toolWaitMs),
    APPROVAL_TTL_MS: String(options.approvalTtlMs),
  };
  const server = new DevServer({
    root: ROOT,
    dir,
    persistDir: path.join(dir, "state"),
    port: options.port,
    inspectorPort: options.inspectorPort,
    apiVars,
    executorEnv: { MCP_SERVER_TOKEN: token },
    log,
  });
  let interrupted = false;
  const onSignal = (signal) => {
    interrupted = true;
    server.killSync();
    cleanup();
    console.error(`[chaos] ${signal}: stopped wrangler (process group) and ${options.keep ? `kept ${dir}` : "removed the temp folder"}`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const session = { runs: [], kills: [], restarts: [], http5xx: [], proxy503: [], references: [] };
  let exitCode = 1;
  try {
    const engine = await loadEngine(ROOT);
    log(`state and logs in ${dir}${options.keep ? " (kept)" : ""}; starting wrangler dev on :${options.port} (TOOL_WAIT_MS=${options.toolWaitMs}, APPROVAL_TTL_MS=${options.approvalTtlMs})`);
    await server.start();
    log(`ready in ${Math.round(server.startTimes[0])} ms`);

    // References: one uncrashed run per distinct body and decision, whose output the chaos runs must
    // match, computed REFERENCE_CHUNK cycles at a time before the first of them and checked like
    // every run. At most 8 at a time, and never hundreds in one process: a burst of approvals
    // overruns the local Queue's consumer, and one long-lived process stalled it (see the README).
    const refDriver = new Driver({ server, log, maxActive: 8 });
    refDriver.start();
    const references = new Map();
    const refRuns = [];
    const badRefs = [];
    const computeReferences = async (fromCycle) => {
      const specs = refSpecs.filter(({ cycle }) => cycle >= fromCycle && cycle < fromCycle + REFERENCE_CHUNK);
      const runs = specs.map(({ cycle, kind, spec }, i) =>
        newRun({ label: `ref-${refRuns.length + i + 1}`, cycle, kind, spec, tenant: `ref-c${cycle}`, apiKey: keyOf.get(`ref-c${cycle}`), reference: true }),
      );
      refRuns.push(...runs);
      refDriver.add(runs);
      const stuck = await driveToEnd(refDriver, runs, 60_000 + runs.length * 2000);
      await verifyRuns(server, runs, engine, null, refCheckRng, token);
      for (const run of runs) if (run.output !== null && run.violations.length === 0) references.set(referenceKey(run.spec), run.output);
      const bad = runs.filter((r) => r.violations.length > 0);
      badRefs.push(...bad);
      log(`references for cycles ${fromCycle}-${fromCycle + REFERENCE_CHUNK - 1}: ${runs.length} uncrashed runs, ${stuck.length} stuck, ${bad.length} with violations`);
      for (const run of bad) for (const v of run.violations) log(`  reference ${run.label} (${run.kind}, ${run.runId}): ${v.check}: ${v.detail}`);
    };
    session.references = refRuns;

    // Chaos: a wave per cycle, a kill per cycle.
    const driver = new Driver({ server, log });
    driver.start();
    for (const { cycle, trigger, delay, runs } of plan) {
      if (interrupted) break;
      if ((cycle - 1) % REFERENCE_CHUNK === 0) await computeReferences(cycle);
      const wave = runs.map(({ kind, spec, startDelayMs, thinkMs }, i) =>
        newRun({ label: `c${cycle}-${i + 1}`, cycle, kind, spec, startDelayMs, thinkMs, tenant: `chaos-c${cycle}`, apiKey: keyOf.get(`chaos-c${cycle}`) }),
      );
      session.runs.push(...wave);
      driver.add(wave);
      let reached = true;
      if (trigger === "mid-step") await sleep(delay);
      if (trigger === "after-approval") {
        reached = (await driver.waitFor("approval-acked", (run) => run.cycle === cycle, 30_000)) !== null;
        await sleep(delay);
      }
      if (trigger === "while-waiting") {
        driver.holdApprovals = true;
        reached = await driver.until(() => driver.live().some((run) => run.runId !== null && waitingReason(run) !== null), 30_000);
        await sleep(delay);
      }
      if (trigger === "after-restart") await sleep(Math.max(0, server.readyAt + delay - performance.now()));
      const live = driver.live();
      const kill = {
        number: session.kills.length + 1,
        cycle,
        trigger,
        delay,
        reached,
        at_s: Number(elapsed()),
        at: new Date().toISOString(),
        live_runs: live.length,
        started: live.filter((run) => run.createPosts > 0).length,
        waiting: live.filter((run) => waitingReason(run) !== null).map((run) => `${run.label}:${waitingReason(run)}`),
      };
      driver.onKill(kill.number, trigger);
      await server.kill();
      session.kills.push(kill);
      log(`kill ${kill.number}/${options.kills} (${trigger}${reached ? "" : ", moment not reached"}, +${delay} ms): ${kill.started} runs alive, ${kill.waiting.length} waiting`);
      await server.start();
      session.restarts.push(server.startTimes.at(-1));
      driver.holdApprovals = false;
    }

    await refDriver.stop();
    log(`kills done; draining: every run must end within ${options.drainMs / 1000} s`);
    const lost = await driveToEnd(driver, session.runs, options.drainMs);
    await driver.stop();
    session.http5xx = driver.http5xx;
    session.proxy503 = [...refDriver.proxy503, ...driver.proxy503];
    log(`${session.runs.length - lost.length}/${session.runs.length} runs ended; checking each`);
    await verifyRuns(server, session.runs, engine, references, checkRng, token);
    for (const run of session.runs) {
      if (run.spec.cancelAt === "approval-requested" || references.has(referenceKey(run.spec))) continue;
      if (run.finalTerminal === "run.completed") run.anomalies.push("no uncrashed reference output to compare with");
    }
    for (const error of session.http5xx) {
      const run = session.runs.find((r) => r.label === error.run);
      run?.violations.push({ check: "http-5xx", detail: `${error.method} ${error.path}: ${error.status} ${error.body}` });
    }
    const f = figures(session);
    f.references = { runs: refRuns.length, with_violations: badRefs.length };
    const seconds = Number(elapsed());
    console.log(`\n${renderTable(f, { seed: options.seed, mode: options.mode, seconds })}\n\n${renderKinds(f)}\n`);
    // A reference that failed its checks is an engine bug with no crash at all: it fails the suite too.
    const violating = [...badRefs, ...session.runs.filter((run) => run.violations.length > 0)];
    for (const run of violating) {
      for (const v of run.violations) {
        const kills = run.kills.map((k) => `${k.number}:${k.trigger}`).join(" ") || "none";
        console.log(`VIOLATION seed=${options.seed} run=${run.label} ${run.runId ?? "-"} kind=${run.kind} check=${v.check} kills=[${kills}]: ${v.detail}`);
      }
    }
    const summary = {
      seed: options.seed,
      mode: options.mode,
      options: { ...options, out: undefined },
      vars: { TOOL_WAIT_MS: options.toolWaitMs, APPROVAL_TTL_MS: options.approvalTtlMs },
      seconds,
      machine: { cpus: os.cpus().length, load: os.loadavg(), node: process.version },
      figures: f,
      kills: session.kills,
      http_5xx: session.http5xx,
      runs: session.runs.map((run) => summaryOf(run, options.seed)),
      references: refRuns.map((run) => summaryOf(run, options.seed)),
    };
    mkdirSync(path.dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(summary, null, 2)}\n`);
    log(`summary written to ${path.relative(process.cwd(), options.out)}`);
    const passed = refRuns.length + session.runs.length - violating.length;
    console.log(`chaos: ${passed} passed, ${violating.length} failed`);
    exitCode = violating.length === 0 ? 0 : 1;
  } catch (error) {
    console.error(`[chaos] the suite itself failed: ${error.stack ?? error}`);
    if (server.logFile) console.error(`last lines of ${server.logFile}:\n${server.logTail(3000)}`);
    exitCode = 2;
  } finally {
    await server.kill().catch(() => server.killSync());
    cleanup();
    if (options.keep) log(`kept ${dir}`);
  }
  process.exit(exitCode);
}

await main();
