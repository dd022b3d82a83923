import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** data/eval/retrieval.jsonl, verbatim. */
      TEST_RETRIEVAL_EVAL: string;
      /** The file names in data/docs that end in .md, sorted. */
      TEST_DOC_FILES: string[];
    }
  }
}
export {};
