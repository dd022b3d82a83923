/**
 * The tool-executor worker as an auxiliary worker of the test runtime: bundled with esbuild the way
 * wrangler bundles it, configured from src/tools/wrangler.toml itself, with the test's fakes and
 * short limits layered on top. Its RUN_OBJECT binding points at the run objects of the test runner
 * (the api worker), so outcomes really reach them.
 */
import path from "node:path";
import { build } from "esbuild";
import type { WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { REMOTE_MCP_TOKEN } from "./fake-mcp-server.ts";
import { MCP_SERVER_TOKEN } from "../support/mcp-server-token.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const OUTFILE = path.join(ROOT, ".test-build/tools/index.js");

export async function bundleToolsWorker(): Promise<string> {
  await build({
    entryPoints: [path.join(ROOT, "src/tools/executor-worker.ts")],
    outfile: OUTFILE,
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
  });
  return OUTFILE;
}

/** Settings the tests rely on (timeouts short enough to test in seconds, small limits). */
export function testToolSettings(urls: { githubApiBase: string; remoteMcpBase: string }): Record<string, string> {
  return {
    // Forged test messages are answered `unknown` by the run objects, which the executor logs as a
    // warning; errors are what a failing test needs to show.
    LOG_LEVEL: "error",
    GITHUB_API_BASE: urls.githubApiBase,
    GITHUB_TOKEN: "gh-test-token",
    GITHUB_TIMEOUT_MS: "3000",
    TOOL_TIMEOUT_MS: "2000",
    TOOL_CACHE_TTL_S: "60",
    MAX_ARGS_BYTES: "2048",
    MAX_RESULT_BYTES: "4096",
    MAX_CALLS_PER_RUN: "5",
    // A lost delivery is redelivered by the ledger after 0.5 s, then 1 s, 2 s, 2 s...
    REDELIVERY_BASE_MS: "500",
    REDELIVERY_MAX_MS: "2000",
    TOOL_ALLOWLIST: JSON.stringify({ restricted: ["calculator.*"] }),
    MCP_SERVERS: JSON.stringify([
      {
        name: "remote",
        url: `${urls.remoteMcpBase}/mcp`,
        headers: { Authorization: { secret: "REMOTE_MCP_TOKEN", prefix: "Bearer " } },
      },
    ]),
    REMOTE_MCP_TOKEN,
    // As a deployment that serves the built-in MCP servers over HTTP must (notes needs it).
    MCP_SERVER_TOKEN,
  };
}

/**
 * `consume: false` leaves the tool Queue without a consumer (the executor then only serves the
 * catalogue and its MCP servers), for tests that deliver tool results themselves.
 */
export function toolsWorkerOptions(
  scriptPath: string,
  runnerName: string,
  settings: Record<string, string>,
  options: { consume: boolean } = { consume: true },
): WorkerOptions {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "src/tools/wrangler.toml"));
  const durableObjects = { ...workerOptions.durableObjects, RUN_OBJECT: { className: "RunObject", scriptName: runnerName } };
  return {
    ...workerOptions,
    queueConsumers: options.consume ? workerOptions.queueConsumers : {},
    name: "run-engine-tools",
    modules: true,
    scriptPath,
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
    durableObjects,
    bindings: { ...workerOptions.bindings, ...settings },
  };
}
