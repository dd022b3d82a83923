/**
 * Checks an OTLP/JSON document against the official opentelemetry-proto definitions, as compiled by
 * OpenTelemetry's own `@opentelemetry/otlp-transformer` (protobufjs code generated from the .proto
 * files of opentelemetry-proto). The JSON encoding rules of the OTLP specification are checked on
 * top: trace and span ids as hex of 16 and 8 bytes, enums as integers among the proto's values, and
 * 64-bit integers (nanosecond times, `intValue`) as decimal strings.
 *
 * How: the ids are decoded from hex, the document is turned into an `ExportTraceServiceRequest`,
 * encoded to protobuf bytes, decoded, and turned back into JSON with the proto3 JSON conventions
 * (longs as strings, enums as numbers). A field the proto does not have, or a value of the wrong
 * type, does not come back as it was sent: each difference is reported with its path.
 */
import root from "@opentelemetry/otlp-transformer/build/src/generated/root";

interface MessageClass {
  fromObject(object: unknown): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
  verify(message: unknown): string | null;
}

interface OtlpRoot {
  opentelemetry: {
    proto: {
      collector: { trace: { v1: { ExportTraceServiceRequest: MessageClass } } };
      trace: { v1: { Span: { SpanKind: Record<string, number> }; Status: { StatusCode: Record<string, number> } } };
    };
  };
}

const proto = (root as unknown as OtlpRoot).opentelemetry.proto;
const ExportTraceServiceRequest = proto.collector.trace.v1.ExportTraceServiceRequest;
const SPAN_KINDS = new Set(Object.values(proto.trace.v1.Span.SpanKind));
const STATUS_CODES = new Set(Object.values(proto.trace.v1.Status.StatusCode));

/** The bytes fields that OTLP/JSON writes as hex, and their lengths in bytes (0: may be empty). */
const ID_BYTES: Record<string, number[]> = { traceId: [16], spanId: [8], parentSpanId: [0, 8] };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function bytesToHex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Copies `value`, converting the id fields with `convert`. */
function mapIds(value: unknown, convert: (key: string, id: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => mapIds(item, convert));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [key, key in ID_BYTES ? convert(key, child) : mapIds(child, convert)]),
  );
}

/** Proto3 has no "empty list" distinct from "no list": empty repeated fields compare as absent. */
function withoutEmptyLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyLists);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, child]) => !(Array.isArray(child) && child.length === 0))
      .map(([key, child]) => [key, withoutEmptyLists(child)]),
  );
}

function differences(sent: unknown, back: unknown, path: string, out: string[]): void {
  if (Array.isArray(sent) && Array.isArray(back)) {
    if (sent.length !== back.length) out.push(`${path}: ${sent.length} items sent, ${back.length} decoded`);
    sent.forEach((item, i) => differences(item, back[i], `${path}[${i}]`, out));
    return;
  }
  if (sent !== null && back !== null && typeof sent === "object" && typeof back === "object" && !Array.isArray(sent) && !Array.isArray(back)) {
    const keys = new Set([...Object.keys(sent), ...Object.keys(back)]);
    for (const key of keys) {
      const a = (sent as Record<string, unknown>)[key];
      const b = (back as Record<string, unknown>)[key];
      if (a === undefined) out.push(`${path}.${key}: not sent, yet decoded as ${JSON.stringify(b)}`);
      else if (b === undefined) out.push(`${path}.${key}: not a field of the proto here (or an empty value): ${JSON.stringify(a)}`);
      else differences(a, b, `${path}.${key}`, out);
    }
    return;
  }
  if (sent !== back) out.push(`${path}: sent ${JSON.stringify(sent)} (${typeof sent}), decoded ${JSON.stringify(back)} (${typeof back})`);
}

/** What is wrong with `document` as an OTLP/JSON `ExportTraceServiceRequest`; empty when nothing. */
export function otlpProblems(document: Json): string[] {
  const problems: string[] = [];
  mapIds(document, (key, id) => {
    if (typeof id !== "string" || !/^[0-9a-fA-F]*$/.test(id) || !ID_BYTES[key]!.includes(id.length / 2)) {
      problems.push(`${key}: ${JSON.stringify(id)} is not hex of ${ID_BYTES[key]!.filter((n) => n > 0).join(" or ")} bytes`);
    }
    return id;
  });
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) return value.forEach((item, i) => walk(item, `${path}[${i}]`));
    if (value === null || typeof value !== "object") return;
    const record = value as Record<string, unknown>;
    if ("spanId" in record) {
      if (!Number.isInteger(record.kind) || !SPAN_KINDS.has(record.kind as number)) problems.push(`${path}.kind: ${JSON.stringify(record.kind)} is not a SpanKind number`);
      for (const field of ["startTimeUnixNano", "endTimeUnixNano"]) {
        if (typeof record[field] !== "string" || !/^\d{19}$/.test(record[field] as string)) {
          problems.push(`${path}.${field}: ${JSON.stringify(record[field])} is not a decimal string of nanoseconds`);
        }
      }
      const status = record.status as { code?: unknown; message?: unknown } | undefined;
      if (status !== undefined && (!Number.isInteger(status.code) || !STATUS_CODES.has(status.code as number))) {
        problems.push(`${path}.status.code: ${JSON.stringify(status.code)} is not a StatusCode number`);
      }
    }
    if ("intValue" in record && typeof record.intValue !== "string") problems.push(`${path}.intValue: 64-bit integers are decimal strings`);
    for (const [key, child] of Object.entries(record)) walk(child, `${path}.${key}`);
  };
  walk(document, "$");
  if (problems.length > 0) return problems;

  let message: unknown;
  try {
    message = ExportTraceServiceRequest.fromObject(mapIds(document, (_key, id) => hexToBytes(id as string)));
  } catch (error) {
    return [`not an ExportTraceServiceRequest: ${(error as Error).message}`];
  }
  const invalid = ExportTraceServiceRequest.verify(message);
  if (invalid !== null) return [`invalid: ${invalid}`];
  const decoded = ExportTraceServiceRequest.decode(ExportTraceServiceRequest.encode(message).finish());
  const back = ExportTraceServiceRequest.toObject(decoded, { longs: String, enums: Number, bytes: Array, defaults: false, arrays: false });
  differences(
    withoutEmptyLists(document),
    withoutEmptyLists(mapIds(back, (_key, bytes) => bytesToHex(bytes as number[]))),
    "$",
    problems,
  );
  return problems;
}
