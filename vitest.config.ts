import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { bundleToolsWorker, testToolSettings, toolsWorkerOptions } from "./test/node/tools-worker.ts";

/**
 * Tests run inside workerd (the Workers pool): the api worker from wrangler.toml with local D1,
 * Queues and SQLite-backed Durable Objects. Timeouts are shortened through bindings so that waits,
 * deadlines, backoffs and heartbeats are testable in seconds.
 *
 * Projects:
 * - `core`: the engine's unit tests and the api worker's integration tests. The tool Queue has no
 *   consumer here, so tests deliver tool results through the run object's RPC themselves; the
 *   executor worker is present only as the tool catalogue (TOOLS) and its MCP servers.
 * - `tools`: the tool tests (test/{unit,integration}/tools). The tool-executor worker runs beside
 *   the api worker as an auxiliary worker (bundled here from src/tools), consuming the real local
 *   Queue and delivering to the real run objects; the fake GitHub API and the remote test MCP
 *   server are started by the project's global setup.
 */
const TOOL_TESTS = ["test/unit/tools/**/*.test.ts", "test/integration/tools/**/*.test.ts"];
/** The Workers pool names a project's runner worker after it; the executor's RUN_OBJECT binding names it. */
const runner = (project: string) => `vitest-pool-workers-runner-${project}`;

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  const toolsScript = await bundleToolsWorker();
  const testBindings = {
    TEST_MIGRATIONS: migrations,
    LOG_LEVEL: "warn",
    RETRY_BASE_MS: "40",
    RETRY_MAX_MS: "400",
    WATCHDOG_GRACE_MS: "500",
    TOOL_WAIT_MS: "3000",
    APPROVAL_TTL_MS: "3000",
    SSE_HEARTBEAT_MS: "400",
  };
  const timeouts = { testTimeout: 30_000, hookTimeout: 30_000 };
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: testBindings,
                workers: [toolsWorkerOptions(toolsScript, runner("core"), { LOG_LEVEL: "error" }, { consume: false })],
              },
            }),
          ],
          test: {
            name: "core",
            include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
            exclude: TOOL_TESTS,
            setupFiles: ["./test/setup/apply-migrations.ts"],
            ...timeouts,
          },
        },
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: testBindings,
                queueProducers: { TEST_DEAD_LETTERS: { queueName: "tool-requests-dlq" } },
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
            globalSetup: ["./test/node/global-setup.ts"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            ...timeouts,
          },
        },
      ],
    },
  };
});
