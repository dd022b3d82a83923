import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { bundleToolsWorker, testToolSettings, toolsWorkerOptions } from "./test/node/tools-worker.ts";

/** The project name fixes the test runner's worker name, which the executor's RUN_OBJECT binding names. */
const PROJECT = "api";
const RUNNER = `vitest-pool-workers-runner-${PROJECT}`;

/**
 * One Workers-pool project: the api worker from wrangler.toml runs in the same workerd as the
 * tests, with local D1, Queues and SQLite-backed Durable Objects. The tool-executor worker runs
 * beside it as an auxiliary worker (bundled here), consuming the real local Queue and delivering to
 * the real run objects. The fake GitHub API and the remote test MCP server are started by the
 * global setup. Timeouts are shortened through bindings so that waits, deadlines and heartbeats
 * are testable in seconds.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  const toolsScript = await bundleToolsWorker();
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            LOG_LEVEL: "warn",
          },
          queueProducers: { TEST_DEAD_LETTERS: { queueName: "tool-requests-dlq" } },
          workers: [
            toolsWorkerOptions(
              toolsScript,
              RUNNER,
              testToolSettings({ githubApiBase: inject("githubApiBase"), remoteMcpBase: inject("remoteMcpBase") }),
            ),
          ],
        },
      })),
    ],
    test: {
      name: PROJECT,
      globalSetup: ["./test/node/global-setup.ts"],
      setupFiles: ["./test/setup/apply-migrations.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
