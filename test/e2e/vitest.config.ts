/**
 * The browser tests (`npm run test:e2e`): Node-side vitest driving Debian's Chromium against real
 * `wrangler dev` servers that the global setup starts. One file at a time: they share the servers
 * and the machine has two cores.
 */
import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: path.resolve(import.meta.dirname, "../.."),
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
