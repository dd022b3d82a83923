/**
 * Reads the retrieval evaluation's files on the Node side (vitest.config.ts hands them to the
 * Workers pool as a binding): the cases, and the documents each tenant adds beside the bundle.
 *
 * Sources, overridable so that an unseen question set runs the same way:
 * - `RETRIEVAL_CASES=path`: a JSON-lines file of cases (default `data/eval/retrieval.jsonl`);
 *   it may also hold document lines (see test/support/retrieval-eval.ts for both shapes);
 * - `RETRIEVAL_DOCS=dir`: tenant documents as `dir/<tenant>/<document_id>.md` (default
 *   `data/eval/retrieval-docs`; `RETRIEVAL_DOCS=` (empty) adds none).
 * The result is one JSON-lines string: a line per document (from the directory), then the
 * file's lines as they are.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

export interface RetrievalEvalFiles {
  /** Document lines and case lines, JSON lines. */
  TEST_RETRIEVAL_EVAL: string;
  /** Where the cases came from, for the report; "repository" for the default set. */
  TEST_RETRIEVAL_EVAL_SOURCE: string;
}

export function retrievalEvalFiles(root: string, env: NodeJS.ProcessEnv = process.env): RetrievalEvalFiles {
  const casesPath = env.RETRIEVAL_CASES ? path.resolve(env.RETRIEVAL_CASES) : path.join(root, "data/eval/retrieval.jsonl");
  const docsDir = env.RETRIEVAL_DOCS === undefined ? path.join(root, "data/eval/retrieval-docs") : env.RETRIEVAL_DOCS === "" ? null : path.resolve(env.RETRIEVAL_DOCS);
  const lines: string[] = [];
  if (docsDir !== null && existsSync(docsDir)) {
    for (const tenant of readdirSync(docsDir).sort()) {
      const dir = path.join(docsDir, tenant);
      for (const file of readdirSync(dir).filter((f) => f.endsWith(".md")).sort()) {
        const text = readFileSync(path.join(dir, file), "utf8");
        lines.push(JSON.stringify({ tenant, document: { document_id: file.slice(0, -3), text } }));
      }
    }
  }
  lines.push(readFileSync(casesPath, "utf8"));
  return { TEST_RETRIEVAL_EVAL: lines.join("\n"), TEST_RETRIEVAL_EVAL_SOURCE: env.RETRIEVAL_CASES ? casesPath : "repository" };
}
