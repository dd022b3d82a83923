/**
 * The retrieval evaluation's data and metrics.
 *
 * The set is JSON lines, one object a line, of two kinds (blank lines are skipped):
 * - a document a tenant adds beside the bundled ones, as `POST /knowledge/documents` takes it:
 *   `{"tenant": "northwind", "document": {"document_id": "vpn-access", "text": "# VPN access ...", "title"?: "..."}}`
 *   (the repository's set keeps these as files, `data/eval/retrieval-docs/<tenant>/<document_id>.md`);
 * - a case: `{"question": "...", "document_id": "...", "tenant"?: "northwind", "category"?: "tenant",
 *   "answer"?: "..."}`. The question is asked as `tenant` (default `eval`, a tenant with no
 *   documents), whose search sees the bundled documents and the tenant's own. `document_id` names
 *   the document that answers it (bundled: the file name in data/docs without `.md`). With an
 *   `answer`, the retrieved chunk must also contain that text (whitespace-insensitive): for a
 *   long document, the right document is not enough, the chunk must hold the sentence.
 *
 * A case is a hit at rank r when the r-th retrieved chunk is from its document (and holds its
 * answer). recall@k = share of cases with a hit within the first k; MRR = mean of 1/first hit rank
 * within the first `depth` (10), 0 without one.
 */
import { z } from "zod";
import type { Retriever } from "../../src/engine/ports";
import { DocumentInput } from "../../src/engine/retrieval/documents";

export const EvalDocument = z.object({ tenant: z.string().min(1), document: DocumentInput });
export type EvalDocument = z.infer<typeof EvalDocument>;

export const EvalCase = z.object({
  question: z.string().min(1),
  document_id: z.string().min(1),
  tenant: z.string().min(1).default("eval"),
  category: z.string().min(1).default("uncategorised"),
  answer: z.string().min(1).optional(),
});
export type EvalCase = z.infer<typeof EvalCase>;

export interface EvalSet {
  documents: EvalDocument[];
  cases: EvalCase[];
}

export function parseEvalSet(jsonl: string): EvalSet {
  const set: EvalSet = { documents: [], cases: [] };
  jsonl.split("\n").forEach((line, i) => {
    if (line.trim().length === 0) return;
    const raw: unknown = JSON.parse(line);
    const isDocument = typeof raw === "object" && raw !== null && "document" in raw;
    const parsed = isDocument ? EvalDocument.safeParse(raw) : EvalCase.safeParse(raw);
    if (!parsed.success) throw new Error(`evaluation line ${i + 1}: ${parsed.error.message}`);
    if (isDocument) set.documents.push(parsed.data as EvalDocument);
    else set.cases.push(parsed.data as EvalCase);
  });
  return set;
}

/** The tenant id a set's tenant name runs as (prefixed, so no other test's tenant is touched). */
export function evalTenant(name: string): string {
  return `eval-${name}`;
}

export function normaliseText(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

export interface Metrics {
  cases: number;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
}

export interface Miss {
  category: string;
  tenant: string;
  question: string;
  expected: string;
  got: string[];
}

export interface EvalReport {
  overall: Metrics;
  byCategory: Record<string, Metrics>;
  misses: Miss[];
}

interface Tally {
  cases: number;
  hits1: number;
  hits5: number;
  reciprocal: number;
}

function metrics(t: Tally): Metrics {
  const n = Math.max(1, t.cases);
  return { cases: t.cases, recallAt1: t.hits1 / n, recallAt5: t.hits5 / n, mrr: t.reciprocal / n };
}

export async function evaluate(retriever: Retriever, cases: EvalCase[], depth = 10): Promise<EvalReport> {
  const tallies = new Map<string, Tally>();
  const tally = (key: string) => {
    let t = tallies.get(key);
    if (t === undefined) tallies.set(key, (t = { cases: 0, hits1: 0, hits5: 0, reciprocal: 0 }));
    return t;
  };
  const misses: Miss[] = [];
  for (const c of cases) {
    const chunks = await retriever.search({ tenantId: evalTenant(c.tenant), query: c.question, k: depth });
    const answer = c.answer === undefined ? null : normaliseText(c.answer);
    const rank = chunks.findIndex((chunk) => chunk.metadata.document_id === c.document_id && (answer === null || normaliseText(chunk.text).includes(answer))) + 1;
    for (const t of [tally("*"), tally(c.category)]) {
      t.cases++;
      if (rank === 1) t.hits1++;
      if (rank >= 1 && rank <= 5) t.hits5++;
      if (rank >= 1) t.reciprocal += 1 / rank;
    }
    if (!(rank >= 1 && rank <= 5)) {
      misses.push({ category: c.category, tenant: c.tenant, question: c.question, expected: c.document_id, got: chunks.slice(0, 5).map((x) => String(x.metadata.document_id)) });
    }
  }
  const byCategory: Record<string, Metrics> = {};
  for (const [key, t] of [...tallies].sort(([a], [b]) => a.localeCompare(b))) if (key !== "*") byCategory[key] = metrics(t);
  return { overall: metrics(tally("*")), byCategory, misses };
}

const fixed = (x: number) => x.toFixed(3);

/** The report as markdown tables: overall, then one row per category and ranking. */
export function formatReport(reports: Record<string, EvalReport>): string {
  const names = Object.keys(reports);
  const lines = ["| ranking | recall@1 | recall@5 | MRR |", "| --- | --- | --- | --- |"];
  for (const name of names) {
    const m = reports[name]!.overall;
    lines.push(`| ${name} | ${fixed(m.recallAt1)} | ${fixed(m.recallAt5)} | ${fixed(m.mrr)} |`);
  }
  const categories = [...new Set(names.flatMap((n) => Object.keys(reports[n]!.byCategory)))];
  lines.push("", `| category (cases) | ${names.map((n) => `${n} R@1 / R@5 / MRR`).join(" | ")} |`, `| --- |${names.map(() => " --- |").join("")}`);
  for (const category of categories) {
    const cells = names.map((n) => {
      const m = reports[n]!.byCategory[category];
      return m === undefined ? "" : `${fixed(m.recallAt1)} / ${fixed(m.recallAt5)} / ${fixed(m.mrr)}`;
    });
    const count = reports[names[0]!]?.byCategory[category]?.cases ?? 0;
    lines.push(`| ${category} (${count}) | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}
