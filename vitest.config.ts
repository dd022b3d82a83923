import { readdirSync } from "node:fs";
import net from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { isEngineLogLine, quietExpectedNoise } from "./test/node/quiet-output.ts";
import { retrievalEvalFiles } from "./test/node/retrieval-eval-files.ts";
import { bundleToolsWorker, testToolSettings, toolsWorkerOptions } from "./test/node/tools-worker.ts";

quietExpectedNoise();

/**
 * Tests run inside workerd (the Workers pool): the api worker from wrangler.toml with local D1,
 * Queues and SQLite-backed Durable Objects. No D1 migrations are applied first, as with a plain
 * `wrangler dev`: the run index applies its own schema. Timeouts are shortened through bindings so that waits,
 * deadlines, backoffs and heartbeats are testable in seconds.
 *
 * Projects:
 * - `unit`: the engine's unit tests (and other pure modules), in plain Node: no workerd, no
 *   bindings. That they pass here is the proof that the engine needs no runtime.
 * - `core`: the api worker's integration tests. The tool Queue has no consumer here, so tests
 *   deliver tool results through the run object's RPC themselves; the executor worker is present
 *   only as the tool catalogue (TOOLS) and its MCP servers.
 * - `openai`: whole runs whose model is the OpenAI adapter, talking to the fake OpenAI-compatible
 *   server (test/node/fake-openai.ts) that the root globalSetup starts on a port chosen here.
 * - `tools`: the tool tests (test/{unit,integration}/tools). The tool-executor worker runs beside
 *   the api worker as an auxiliary worker (bundled here from src/tools), consuming the real local
 *   Queue and delivering to the real run objects; the fake GitHub API and the remote test MCP
 *   server are started by the project's own global setup.
 */
const TOOL_TESTS = ["test/unit/tools/**/*.test.ts", "test/integration/tools/**/*.test.ts"];
/** The Workers pool names a project's runner worker after it; the executor's RUN_OBJECT binding names it. */
const runner = (project: string) => `vitest-pool-workers-runner-${project}`;

/** A port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export default defineConfig(async () => {
  const toolsScript = await bundleToolsWorker();
  /** The executor as the TOOLS catalogue only, for projects whose tests deliver tool results themselves. */
  const catalogOnly = (project: string) => toolsWorkerOptions(toolsScript, runner(project), { LOG_LEVEL: "error" }, { consume: false });
  const testBindings = {
    // Read on the Node side for the retrieval tests: the evaluation set (RETRIEVAL_CASES and
    // RETRIEVAL_DOCS override it), and the shipped documents' file names (a test checks that the
    // bundle imports every one of them).
    ...retrievalEvalFiles(import.meta.dirname),
    TEST_DOC_FILES: readdirSync(path.join(import.meta.dirname, "data/docs")).filter((f) => f.endsWith(".md")).sort(),
    LOG_LEVEL: "warn",
    RETRY_BASE_MS: "40",
    RETRY_MAX_MS: "400",
    WATCHDOG_GRACE_MS: "500",
    TOOL_WAIT_MS: "3000",
    APPROVAL_TTL_MS: "3000",
    SSE_HEARTBEAT_MS: "400",
  };
  // The fake's port must be in the `openai` project's bindings, so it is chosen now and
  // globalSetup listens on it.
  process.env.FAKE_OPENAI_PORT ??= String(await freePort());
  const openaiBindings = {
    ...testBindings,
    OPENAI_API_KEY: "sk-test-runs",
    OPENAI_BASE_URL: `http://127.0.0.1:${process.env.FAKE_OPENAI_PORT}/v1`,
    MODEL_PLANNING: "fake-planner",
    MODEL_GENERATION: "fake-writer",
    MODEL_TIMEOUT_MS: "1500",
  };
  return {
    test: {
      projects: [
        {
          test: {
            name: "unit",
            include: ["test/unit/**/*.unit.test.ts"],
            exclude: TOOL_TESTS,
            environment: "node",
          },
        },
        {
          plugins: [
            cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: testBindings, workers: [catalogOnly("core")] } }),
          ],
          test: {
            name: "core",
            include: ["test/integration/**/*.test.ts"],
            exclude: TOOL_TESTS,
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        },
        {
          plugins: [
            cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: openaiBindings, workers: [catalogOnly("openai")] } }),
          ],
          test: {
            name: "openai",
            include: ["test/openai/**/*.test.ts"],
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        },
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: testBindings,
                queueProducers: { TEST_DEAD_LETTERS: { queueName: "tool-requests-dlq" } },
                // The executor's ledgers, so a test can leave one as a dead executor would.
                durableObjects: { TEST_CALL_LEDGER: { className: "CallLedger", scriptName: "run-engine-tools" } },
                workers: [
                  toolsWorkerOptions(
                    toolsScript,
                    runner("tools"),
                    testToolSettings({ githubApiBase: inject("githubApiBase"), remoteMcpBase: inject("remoteMcpBase") }),
                  ),
                ],
              },
            })),
          ],
          test: {
            name: "tools",
            include: TOOL_TESTS,
            globalSetup: ["./test/node/tools-global-setup.ts"],
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        },
      ],
      // Node side, once per run: the fake OpenAI-compatible server the model tests stream from.
      globalSetup: ["./test/node/global-setup.ts"],
      // Engine log lines provoked on purpose (failed steps, refused effects) stay out of the report.
      onConsoleLog: (log: string) => (isEngineLogLine(log) ? false : undefined),
    },
  };
});
