// Bindings the test configuration (vitest.config.ts) gives the test runner for the tool tests.
declare global {
  namespace Cloudflare {
    interface Env {
      /** Producer of the executor's dead-letter queue, to test its consumer directly. */
      TEST_DEAD_LETTERS: Queue;
    }
  }
}
export {};
