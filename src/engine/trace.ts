/**
 * A run's trace: spans for the run, its steps, waits, retries, model calls, retrievals and tool calls
 * (CONTRACT.md "Trace and spans"). Spans are written as the run goes; this module shapes them into
 * the tree of `GET /trace`; otlp.ts turns the same spans into OTLP/JSON. Span names and attribute
 * keys are chosen in span-attributes.ts.
 */
import { z } from "zod";
import { sha256Hex } from "./hash-chain";

export { toOtlp } from "./otlp";

export const SpanKind = z.enum(["run", "step", "model", "retrieval", "tool", "guardrail", "wait", "retry"]);
export type SpanKind = z.infer<typeof SpanKind>;

export const Span = z.object({
  span_id: z.string(),
  parent_span_id: z.string().nullable(),
  name: z.string(),
  kind: SpanKind,
  start: z.string(),
  /** Null while the span is open (`status: "running"`). */
  end: z.string().nullable(),
  duration_ms: z.number().nullable(),
  status: z.enum(["ok", "error", "running"]),
  /** OpenTelemetry attribute keys (span-attributes.ts): semantic conventions, else `run_engine.*`. */
  attributes: z.record(z.string(), z.unknown()),
});
export type Span = z.infer<typeof Span>;

export type SpanNode = Span & { children: SpanNode[] };

/** A span of the tree, with its children (`GET /trace`). */
export const SpanNode: z.ZodType<SpanNode> = z.object({
  ...Span.shape,
  get children() {
    return z.array(SpanNode);
  },
});

/** `GET /runs/{run_id}/spans`. */
export const SpanList = z.object({ spans: z.array(Span) });

export function openSpan(
  fields: Pick<Span, "span_id" | "parent_span_id" | "name" | "kind"> & { attributes?: Record<string, unknown> },
  startIso: string,
): Span {
  return { ...fields, attributes: fields.attributes ?? {}, start: startIso, end: null, duration_ms: null, status: "running" };
}

export function closeSpan(span: Span, endIso: string, status: "ok" | "error", attributes: Record<string, unknown> = {}): Span {
  return {
    ...span,
    end: endIso,
    duration_ms: Math.max(0, Date.parse(endIso) - Date.parse(span.start)),
    status,
    attributes: { ...span.attributes, ...attributes },
  };
}

/** Spans (in start order) arranged as a forest under their parents; orphans become roots. */
export function spanTree(spans: readonly Span[]): SpanNode[] {
  const nodes = new Map<string, SpanNode>();
  for (const span of spans) nodes.set(span.span_id, { ...span, children: [] });
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parent_span_id === null ? undefined : nodes.get(node.parent_span_id);
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** The 32-hex OpenTelemetry trace id of a run. */
export function traceIdOf(runId: string): string {
  return sha256Hex(`trace:${runId}`).slice(0, 32);
}

/** `GET /runs/{run_id}/trace`: the run's summary and its span tree. */
export const TraceSummary = z.object({
  trace_id: z.string().regex(/^[0-9a-f]{32}$/),
  run_id: z.string(),
  status: z.string(),
  start: z.string().nullable(),
  end: z.string().nullable(),
  duration_ms: z.number().nullable(),
  spans: z.array(SpanNode),
});
export type TraceSummary = z.infer<typeof TraceSummary>;

export function buildTrace(runId: string, status: string, spans: readonly Span[]): TraceSummary {
  const root = spans.find((span) => span.kind === "run");
  return {
    trace_id: traceIdOf(runId),
    run_id: runId,
    status,
    start: root?.start ?? null,
    end: root?.end ?? null,
    duration_ms: root?.duration_ms ?? null,
    spans: spanTree(spans),
  };
}
