declare global {
  namespace Cloudflare {
    interface Env {
      /** The retrieval evaluation: tenant documents and cases, JSON lines (test/node/retrieval-eval-files.ts). */
      TEST_RETRIEVAL_EVAL: string;
      /** Where the cases came from: "repository", or the path given in RETRIEVAL_CASES. */
      TEST_RETRIEVAL_EVAL_SOURCE: string;
      /** The file names in data/docs that end in .md, sorted. */
      TEST_DOC_FILES: string[];
    }
  }
}
export {};
