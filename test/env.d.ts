declare global {
  namespace Cloudflare {
    interface Env {
      /** data/eval/retrieval.jsonl, verbatim. */
      TEST_RETRIEVAL_EVAL: string;
      /** The file names in data/docs that end in .md, sorted. */
      TEST_DOC_FILES: string[];
    }
  }
}
export {};
