/**
 * A run's spans as OTLP/JSON (`ExportTraceServiceRequest` of opentelemetry-proto, in the JSON
 * encoding of the OTLP specification): lowerCamelCase keys, trace and span ids as lower-case hex,
 * enums as integers, 64-bit times as decimal strings of nanoseconds. The zod schema below is the
 * subset of the proto this export writes; `GET /runs/{run_id}/trace?format=otlp` documents it.
 *
 * Mapping (span-attributes.ts chooses the keys):
 * - resource: `service.name` and the run's tenant (`run_engine.tenant_id`); every span carries the
 *   run id (`run_engine.run_id`) and the engine's span kind (`run_engine.span.kind`).
 * - kind: model calls and retrievals are CLIENT (another service answers them); tool executions,
 *   steps, waits and the run are INTERNAL (the GenAI conventions make `execute_tool` INTERNAL).
 * - status: an error span is ERROR with `error.message` as its message (the attribute itself is not
 *   repeated); every other span is UNSET, as the conventions' "recording errors" asks. A cancelled
 *   span keeps `run_engine.cancelled: true`.
 * - an open span (the run is in progress) cannot be exported without an end time, since OTLP makes
 *   `endTimeUnixNano` required: it ends at the export time, with status UNSET and
 *   `run_engine.span.in_progress: true`, so that a back end never mistakes it for a finished span.
 */
import { z } from "zod";
import { sha256Hex } from "./hash-chain";
import { ATTR } from "./span-attributes";
import { traceIdOf } from "./trace";
import type { Span } from "./trace";

/** `opentelemetry.proto.trace.v1.Span.SpanKind`. */
export const SPAN_KIND_INTERNAL = 1;
export const SPAN_KIND_CLIENT = 3;
/** `opentelemetry.proto.trace.v1.Status.StatusCode`. */
export const STATUS_CODE_UNSET = 0;
export const STATUS_CODE_ERROR = 2;

const Nanos = z.string().regex(/^\d{1,20}$/, "nanoseconds since the epoch, as a decimal string");

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } }
  | { kvlistValue: { values: OtlpKeyValue[] } };
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export const OtlpAnyValue: z.ZodType<OtlpAnyValue> = z.union([
  z.object({ stringValue: z.string() }).strict(),
  z.object({ boolValue: z.boolean() }).strict(),
  z.object({ intValue: z.string().regex(/^-?\d+$/) }).strict(),
  z.object({ doubleValue: z.number() }).strict(),
  z.object({ arrayValue: z.object({ get values() { return z.array(OtlpAnyValue); } }) }).strict(),
  z.object({ kvlistValue: z.object({ get values() { return z.array(OtlpKeyValue); } }) }).strict(),
]);
export const OtlpKeyValue: z.ZodType<OtlpKeyValue> = z.object({ key: z.string(), value: OtlpAnyValue });

export const OtlpSpan = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  /** Empty on the root span. */
  parentSpanId: z.string().regex(/^([0-9a-f]{16})?$/),
  name: z.string(),
  /** 1 INTERNAL, 3 CLIENT. */
  kind: z.union([z.literal(SPAN_KIND_INTERNAL), z.literal(SPAN_KIND_CLIENT)]),
  startTimeUnixNano: Nanos,
  endTimeUnixNano: Nanos,
  attributes: z.array(OtlpKeyValue),
  /** 0 UNSET, 2 ERROR; `message` only with ERROR. */
  status: z.object({
    code: z.union([z.literal(STATUS_CODE_UNSET), z.literal(STATUS_CODE_ERROR)]),
    message: z.string().optional(),
  }),
});
export type OtlpSpan = z.infer<typeof OtlpSpan>;

/** `GET /runs/{run_id}/trace?format=otlp`: an `ExportTraceServiceRequest` in OTLP/JSON. */
export const OtlpTraceExport = z.object({
  resourceSpans: z.array(
    z.object({
      resource: z.object({ attributes: z.array(OtlpKeyValue) }),
      scopeSpans: z.array(
        z.object({
          scope: z.object({ name: z.string(), version: z.string() }),
          spans: z.array(OtlpSpan),
        }),
      ),
    }),
  ),
});
export type OtlpTraceExport = z.infer<typeof OtlpTraceExport>;

/** An attribute value as OTLP has it; null when the value has no OTLP form (null, undefined). */
export function otlpValue(value: unknown): OtlpAnyValue | null {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") {
    return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  }
  if (Array.isArray(value)) {
    return { arrayValue: { values: value.map((item) => otlpValue(item) ?? { stringValue: "null" }) } };
  }
  if (value !== null && typeof value === "object") return { kvlistValue: { values: otlpAttributes(Object.entries(value)) } };
  return null;
}

function otlpAttributes(entries: Iterable<[string, unknown]>): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (const [key, raw] of entries) {
    const value = otlpValue(raw);
    if (value !== null) out.push({ key, value });
  }
  return out;
}

function nanos(iso: string): string {
  return (BigInt(Date.parse(iso)) * 1_000_000n).toString();
}

/** OpenTelemetry span ids are 16 hex digits; ours are `sp_` + 16 hex. */
function otlpSpanId(spanId: string): string {
  const hex = spanId.replace(/^sp_/, "");
  return /^[0-9a-f]{16}$/.test(hex) ? hex : sha256Hex(spanId).slice(0, 16);
}

function otlpSpan(span: Span, traceId: string, runId: string, nowIso: string): OtlpSpan {
  const open = span.end === null;
  const { [ATTR.errorMessage]: message, ...rest } = span.attributes;
  const entries: [string, unknown][] = [
    [ATTR.runId, runId],
    [ATTR.spanKind, span.kind],
    ...Object.entries(rest),
    ...(open ? ([[ATTR.inProgress, true]] as [string, unknown][]) : []),
  ];
  const error = span.status === "error";
  return {
    traceId,
    spanId: otlpSpanId(span.span_id),
    parentSpanId: span.parent_span_id === null ? "" : otlpSpanId(span.parent_span_id),
    name: span.name,
    kind: span.kind === "model" || span.kind === "retrieval" ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL,
    startTimeUnixNano: nanos(span.start),
    // An open span ends at the export (OTLP requires an end); `in_progress` says it has not ended.
    endTimeUnixNano: nanos(span.end ?? (Date.parse(nowIso) < Date.parse(span.start) ? span.start : nowIso)),
    attributes: otlpAttributes(entries),
    status: error
      ? { code: STATUS_CODE_ERROR, ...(typeof message === "string" && message !== "" ? { message } : {}) }
      : { code: STATUS_CODE_UNSET },
  };
}

/** OTLP/JSON (`ExportTraceServiceRequest`) for the run's spans, exported at `nowIso`. */
export function toOtlp(runId: string, tenantId: string, spans: readonly Span[], nowIso: string): OtlpTraceExport {
  const traceId = traceIdOf(runId);
  return {
    resourceSpans: [
      {
        resource: {
          attributes: otlpAttributes([
            ["service.name", "run-engine"],
            [ATTR.tenantId, tenantId],
          ]),
        },
        scopeSpans: [{ scope: { name: "run-engine", version: "1" }, spans: spans.map((span) => otlpSpan(span, traceId, runId, nowIso)) }],
      },
    ],
  };
}
