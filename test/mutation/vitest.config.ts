/**
 * The `unit` project alone, for mutation testing (stryker.config.json): the engine's unit tests in
 * plain Node, without the Workers pool the main config sets up.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: new URL("../..", import.meta.url).pathname,
    include: ["test/unit/**/*.unit.test.ts"],
    exclude: ["test/unit/tools/**"],
    environment: "node",
  },
});
