// Bindings the test configuration (vitest.config.ts) gives the test runner for the tool tests.
import type { CallLedger } from "../src/tools/ledger";

declare global {
  namespace Cloudflare {
    interface Env {
      /** Producer of the executor's dead-letter queue, to test its consumer directly. */
      TEST_DEAD_LETTERS: Queue;
      /**
       * The executor worker's CallLedger objects, so that a test can leave a ledger in the state a
       * dead executor leaves it in (a claim whose attempt vanished, an outcome never delivered).
       */
      TEST_CALL_LEDGER: DurableObjectNamespace<CallLedger>;
    }
  }
}
export {};
