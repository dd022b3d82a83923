/**
 * Verification: is the answer supported by the run's evidence? Every checkable claim of the answer
 * (numbers, dates, names, quoted terms, links, clock times and versions; see claims/) must be
 * found in a retrieved chunk, a tool result, or the user's own message; a citation must name a
 * chunk that was retrieved. Pure: the verify step turns the result into `verification.completed`
 * and decides what an unsupported answer costs (research mode regenerates once with `issues` as
 * feedback, then completes degraded).
 *
 * Contract: `issues` are sentences addressed to the model that will rewrite the answer, one per
 * unsupported claim, in the order the answer makes them; `passed` is `issues.length === 0`.
 */
import type { Claim, ClaimKind } from "./claims/claim";
import { indexEvidence, isSupported } from "./claims/evidence";
import { extractClaims } from "./claims/extract";

export interface VerificationInput {
  answer: string;
  message: string;
  chunks: ReadonlyArray<{ id: string; text: string; metadata?: Record<string, unknown> }>;
  toolResults: ReadonlyArray<{
    tool: string;
    status: string;
    args?: Record<string, unknown>;
    result?: unknown;
    error?: string;
  }>;
}

export interface VerificationOptions {
  /** Research mode: when chunks were retrieved, the answer must cite at least one. */
  requireCitations?: boolean;
}

/** A type alias, not an interface, so it fits the event's `checked: Record<string, Json>`. */
export type VerificationChecked = {
  claims: number;
  supported: number;
  numbers: string[];
  dates: string[];
  names: string[];
  quoted: string[];
  links: string[];
  terms: string[];
  citations: string[];
  unsupported: { kind: ClaimKind; claim: string }[];
  evidence: { chunks: number; tool_results: number; message: boolean };
  skipped_code_blocks: number;
};

/** Exactly the data of a `verification.completed` event. */
export type VerificationResult = {
  passed: boolean;
  issues: string[];
  checked: VerificationChecked;
};

/** Bounds the lists in `checked`, so a long answer does not make a huge event. */
const LIST_LIMIT = 50;

const KIND_LABEL: Record<ClaimKind, string> = {
  number: "the number",
  date: "the date",
  name: "the name",
  quoted: "the quoted text",
  link: "the link",
  term: "the value",
};

export function verifyAnswer(input: VerificationInput, options: VerificationOptions = {}): VerificationResult {
  const extracted = extractClaims(input.answer);
  const evidence = indexEvidence([input.message, ...input.chunks.flatMap(chunkTexts), ...input.toolResults.flatMap(toolTexts)]);

  const issues: string[] = [];
  const unsupported: Claim[] = [];
  for (const claim of extracted.claims) {
    if (isSupported(claim, evidence)) continue;
    unsupported.push(claim);
    issues.push(
      `${KIND_LABEL[claim.kind]} “${claim.text}” is not in the retrieved documents, the tool results or the user's message`,
    );
  }

  const retrieved = new Set(input.chunks.map((chunk) => chunk.id));
  for (const id of extracted.citations) {
    if (!retrieved.has(id)) issues.push(`the citation [chunk:${id}] names no retrieved chunk`);
  }
  const citesSome = extracted.citations.some((id) => retrieved.has(id));
  if (options.requireCitations && input.chunks.length > 0 && !citesSome) {
    issues.push(
      `the answer cites none of the ${input.chunks.length} retrieved chunks; cite each fact's source as [chunk:<id>]`,
    );
  }

  const of = (kind: ClaimKind) => limit(extracted.claims.filter((c) => c.kind === kind).map((c) => c.text));
  return {
    passed: issues.length === 0,
    issues,
    checked: {
      claims: extracted.claims.length,
      supported: extracted.claims.length - unsupported.length,
      numbers: of("number"),
      dates: of("date"),
      names: of("name"),
      quoted: of("quoted"),
      links: of("link"),
      terms: of("term"),
      citations: limit(extracted.citations),
      unsupported: limit(unsupported.map((c) => ({ kind: c.kind, claim: c.text }))),
      evidence: { chunks: input.chunks.length, tool_results: input.toolResults.length, message: input.message !== "" },
      skipped_code_blocks: extracted.skippedCodeBlocks,
    },
  };
}

function limit<T>(items: T[]): T[] {
  return items.slice(0, LIST_LIMIT);
}

/** A chunk's text plus its textual metadata (title, heading path): both are the document's words. */
function chunkTexts(chunk: VerificationInput["chunks"][number]): string[] {
  return [chunk.text, ...leaves(chunk.metadata ?? {})];
}

/** What a tool call establishes: its name, its arguments, its result or its error. */
function toolTexts(view: VerificationInput["toolResults"][number]): string[] {
  return [view.tool, ...leaves(view.args ?? {}), ...leaves(view.result), ...(view.error ? [view.error] : [])];
}

/** The string and number leaves of a JSON value (keys are structure, not evidence). */
function leaves(value: unknown, depth = 0): string[] {
  if (depth > 8) return [];
  if (typeof value === "string") return [value];
  if (typeof value === "number" || typeof value === "bigint") return [String(value)];
  if (Array.isArray(value)) return value.flatMap((item) => leaves(item, depth + 1));
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap((item) => leaves(item, depth + 1));
  return [];
}
