/**
 * A run's trace: spans for the run, its steps, waits, retries, model calls, retrievals and tool calls
 * (CONTRACT.md "Trace and spans"). Spans are written as the run goes; this module shapes them into
 * the tree of `GET /trace` and into OTLP/JSON `resourceSpans` for any OpenTelemetry back end.
 */
import { z } from "zod";
import { sha256Hex } from "./hash-chain";

export const SpanKind = z.enum(["run", "step", "model", "retrieval", "tool", "guardrail", "wait", "retry"]);
export type SpanKind = z.infer<typeof SpanKind>;

export const Span = z.object({
  span_id: z.string(),
  parent_span_id: z.string().nullable(),
  name: z.string(),
  kind: SpanKind,
  start: z.string(),
  end: z.string().nullable(),
  duration_ms: z.number().nullable(),
  status: z.enum(["ok", "error", "running"]),
  attributes: z.record(z.string(), z.unknown()),
});
export type Span = z.infer<typeof Span>;

export type SpanNode = Span & { children: SpanNode[] };

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

export interface TraceSummary {
  trace_id: string;
  run_id: string;
  status: string;
  start: string | null;
  end: string | null;
  duration_ms: number | null;
  spans: SpanNode[];
}

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

type OtlpValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpValue[] } };

function otlpValue(value: unknown): OtlpValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(otlpValue) } };
  return { stringValue: JSON.stringify(value) ?? "null" };
}

function nanos(iso: string): string {
  return (BigInt(Date.parse(iso)) * 1_000_000n).toString();
}

/** OpenTelemetry span ids are 16 hex digits; ours are `sp_` + 16 hex. */
function otlpSpanId(spanId: string): string {
  const hex = spanId.replace(/^sp_/, "");
  return /^[0-9a-f]{16}$/.test(hex) ? hex : sha256Hex(spanId).slice(0, 16);
}

/** OTLP/JSON (`ExportTraceServiceRequest`) for the run's spans; running spans end at `nowIso`. */
export function toOtlp(runId: string, tenantId: string, spans: readonly Span[], nowIso: string): unknown {
  const traceId = traceIdOf(runId);
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "run-engine" } },
            { key: "run_engine.tenant_id", value: { stringValue: tenantId } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: "run-engine", version: "1" },
            spans: spans.map((span) => ({
              traceId,
              spanId: otlpSpanId(span.span_id),
              parentSpanId: span.parent_span_id === null ? "" : otlpSpanId(span.parent_span_id),
              name: span.name,
              kind: span.kind === "tool" || span.kind === "model" ? 3 : 1,
              startTimeUnixNano: nanos(span.start),
              endTimeUnixNano: nanos(span.end ?? nowIso),
              attributes: [
                { key: "run_engine.run_id", value: { stringValue: runId } },
                { key: "run_engine.span.kind", value: { stringValue: span.kind } },
                ...Object.entries(span.attributes).map(([key, value]) => ({ key, value: otlpValue(value) })),
              ],
              status: span.status === "error" ? { code: 2 } : span.status === "ok" ? { code: 1 } : { code: 0 },
            })),
          },
        ],
      },
    ],
  };
}
