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
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            LOG_LEVEL: "warn",
          },
        },
      }),
    ],
    test: {
      // Node side: the fake OpenAI-compatible server the model adapter tests stream from.
      globalSetup: ["./test/node/global-setup.ts"],
      setupFiles: ["./test/setup/apply-migrations.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
