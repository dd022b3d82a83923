/**
 * Tool round trip, for the bench table. Given the base URL of a running `npm run dev`, it measures
 *
 * - `queue`: calculator runs end to end, from the run's `tool.requested` event to its
 *   `tool.completed` event (both stamped by the run object): the outbox, the local Queue, the
 *   executor's pipeline (ledger, checks, cache miss, the MCP call) and the delivery back to the run;
 * - `direct`: the baseline, the same MCP call (connect, `tools/call evaluate`, close, as the
 *   executor makes it) sent straight to the calculator server of the executor worker. `npm run dev`
 *   exposes only the api worker, so unless `mcpUrl` is given the executor is started alone for this
 *   with `wrangler dev -c src/tools/wrangler.toml` on a free loopback port, and stopped afterwards.
 *
 * Every expression is distinct, so no call is answered from the result cache.
 *
 *   import { benchToolRoundTrip } from "./bench/tool-roundtrip.mjs";
 *   const result = await benchToolRoundTrip({ baseUrl: "http://127.0.0.1:8787", runs: 20 });
 *   // { queue: { n, p50_ms, p95_ms, min_ms, max_ms }, direct: { ... } }
 */
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    n: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p95_ms: round(percentile(sorted, 95)),
    min_ms: round(sorted[0] ?? null),
    max_ms: round(sorted[sorted.length - 1] ?? null),
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function uniqueExpression(i) {
  const salt = Math.floor(Math.random() * 1e6);
  return `${salt} * (3 + ${i}) - 7`;
}

/** One calculator run; resolves with tool.completed.ts - tool.requested.ts in ms. */
async function oneRun(baseUrl, headers, i, timeoutMs) {
  const response = await fetch(new URL("/runs", baseUrl), {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ message: `What is ${uniqueExpression(i)}?` }),
  });
  if (response.status !== 201) throw new Error(`POST /runs answered ${response.status}: ${await response.text()}`);
  const { run_id } = await response.json();
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const page = await fetch(new URL(`/runs/${run_id}/events?format=json&after=0&limit=1000`, baseUrl), { headers });
    const { events } = await page.json();
    const requested = events.find((e) => e.type === "tool.requested");
    const ended = events.find((e) => e.type === "tool.completed" || e.type === "tool.failed" || e.type === "tool.denied" || e.type === "tool.server.error");
    if (requested && ended) {
      if (ended.type !== "tool.completed") throw new Error(`run ${run_id}: ${ended.type} ${JSON.stringify(ended.data)}`);
      return Date.parse(ended.ts) - Date.parse(requested.ts);
    }
    await sleep(25);
  }
  throw new Error(`run ${run_id}: no tool outcome within ${timeoutMs} ms`);
}

async function measureQueue({ baseUrl, apiKey, runs, concurrency, timeoutMs }) {
  const headers = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  await oneRun(baseUrl, headers, -1, timeoutMs); // warm-up: isolates, registry discovery
  const samples = [];
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const i = next++;
      samples.push(await oneRun(baseUrl, headers, i, timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarize(samples);
}

/** The executor's MCP call, made directly: a fresh client per call, as src/tools/mcp-client.ts does. */
async function directCall(mcpUrl, i) {
  const started = performance.now();
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl)));
  const result = await client.callTool({ name: "evaluate", arguments: { expression: uniqueExpression(i) } });
  await client.close();
  if (result.isError) throw new Error(`calculator error: ${JSON.stringify(result.content)}`);
  return performance.now() - started;
}

async function measureDirect(mcpUrl, runs) {
  await directCall(mcpUrl, -1);
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await directCall(mcpUrl, i));
  return summarize(samples);
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the executor worker alone (`wrangler dev`); resolves with its base URL and a stop(). */
async function startExecutorAlone(ports, timeoutMs = 60_000) {
  const port = ports.port ?? (await freePort());
  const inspector = ports.inspectorPort ?? (await freePort());
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev", "-c", "src/tools/wrangler.toml", "--ip", "127.0.0.1",
      "--port", String(port), "--inspector-port", String(inspector), "--persist-to", ".wrangler/bench-tools"],
    { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  const base = `http://127.0.0.1:${port}`;
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wrangler dev for the executor exited with ${child.exitCode}`);
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { base, stop };
    await sleep(250);
  }
  await stop();
  throw new Error("the executor worker did not start in time");
}

/**
 * `directPort` / `directInspectorPort` pin the ports of the executor started for the baseline
 * (default: free loopback ports).
 * @param {{ baseUrl: string, apiKey?: string, runs?: number, concurrency?: number, mcpUrl?: string,
 *   timeoutMs?: number, directPort?: number, directInspectorPort?: number }} options
 */
export async function benchToolRoundTrip(options) {
  const runs = options.runs ?? 20;
  const queue = await measureQueue({
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    runs,
    concurrency: options.concurrency ?? 1,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  if (options.mcpUrl) return { queue, direct: await measureDirect(options.mcpUrl, runs) };
  const executor = await startExecutorAlone({ port: options.directPort, inspectorPort: options.directInspectorPort });
  try {
    return { queue, direct: await measureDirect(`${executor.base}/mcp/calculator`, runs) };
  } finally {
    await executor.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const baseUrl = process.argv[2] ?? "http://127.0.0.1:8787";
  const runs = Number(process.argv[3] ?? "20");
  const port = (name) => (process.env[name] ? Number(process.env[name]) : undefined);
  const result = await benchToolRoundTrip({
    baseUrl,
    runs,
    apiKey: process.env.BENCH_API_KEY,
    directPort: port("BENCH_DIRECT_PORT"),
    directInspectorPort: port("BENCH_DIRECT_INSPECTOR_PORT"),
  });
  console.log(JSON.stringify(result, null, 2));
}
