import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * One Workers-pool project: the api worker from wrangler.toml runs in the same workerd as the
 * tests, with local D1, Queues and SQLite-backed Durable Objects. Timeouts are shortened through
 * bindings so that waits, deadlines and heartbeats are testable in seconds.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // Test data read on the Node side: the retrieval evaluation set, and the shipped documents'
  // file names (so a test can check that the bundle imports every one of them).
  const retrievalEval = readFileSync(path.join(import.meta.dirname, "data/eval/retrieval.jsonl"), "utf8");
  const docFiles = readdirSync(path.join(import.meta.dirname, "data/docs")).filter((f) => f.endsWith(".md")).sort();
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            TEST_RETRIEVAL_EVAL: retrievalEval,
            TEST_DOC_FILES: docFiles,
            // SSE heartbeats every 500 ms instead of 15 s, so a test can wait for one.
            SSE_HEARTBEAT_MS: "500",
            LOG_LEVEL: "warn",
          },
        },
      }),
    ],
    test: {
      setupFiles: ["./test/setup/apply-migrations.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
