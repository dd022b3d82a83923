import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * Tests run inside workerd (the Workers pool): the api worker from wrangler.toml with local D1,
 * Queues and SQLite-backed Durable Objects. Timeouts are shortened through bindings so that waits,
 * deadlines, backoffs and heartbeats are testable in seconds.
 *
 * Projects:
 * - `core`: the engine's unit tests and the api worker's integration tests. The tool Queue has no
 *   consumer here, so tests deliver tool results through the run object's RPC themselves.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  const testBindings = {
    TEST_MIGRATIONS: migrations,
    // Read on the Node side for the retrieval tests: the evaluation set, and the shipped
    // documents' file names (a test checks that the bundle imports every one of them).
    TEST_RETRIEVAL_EVAL: readFileSync(path.join(import.meta.dirname, "data/eval/retrieval.jsonl"), "utf8"),
    TEST_DOC_FILES: readdirSync(path.join(import.meta.dirname, "data/docs")).filter((f) => f.endsWith(".md")).sort(),
    LOG_LEVEL: "warn",
    RETRY_BASE_MS: "40",
    RETRY_MAX_MS: "400",
    WATCHDOG_GRACE_MS: "500",
    TOOL_WAIT_MS: "3000",
    APPROVAL_TTL_MS: "3000",
    SSE_HEARTBEAT_MS: "400",
  };
  return {
    test: {
      projects: [
        {
          plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: testBindings } })],
          test: {
            name: "core",
            include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            testTimeout: 30_000,
            hookTimeout: 30_000,
          },
        },
      ],
    },
  };
});
