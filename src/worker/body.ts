/**
 * Reading a request body safely: content type, size limit (counted while streaming, so a missing or
 * lying Content-Length cannot get past it), UTF-8 and JSON, then the route's zod schema.
 */
import type { z } from "zod";
import { ApiError, invalidRequest } from "./errors";

export const BODY_LIMIT = 256 * 1024;

function isJson(contentType: string | null): boolean {
  if (contentType === null) return false;
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    throw new ApiError("payload_too_large", `the body is larger than ${limit} bytes`);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new ApiError("payload_too_large", `the body is larger than ${limit} bytes`);
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/**
 * The path of the first object in `value` with an own `__proto__` key, if any. JSON allows the key,
 * but every object built from the body on its way to storage (a zod record, a spread) would drop it
 * silently: such a body is refused rather than stored other than it was sent.
 */
export function protoKeyPath(value: unknown): string | null {
  const stack: { value: unknown; path: string[] }[] = [{ value, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (item.value === null || typeof item.value !== "object") continue;
    if (Object.prototype.hasOwnProperty.call(item.value, "__proto__")) return [...item.path, "__proto__"].join(".");
    for (const [key, child] of Object.entries(item.value)) stack.push({ value: child, path: [...item.path, key] });
  }
  return null;
}

/** Parses a JSON body against `schema`, or throws the contract's 400/413/415. */
export async function readJson<S extends z.ZodType>(request: Request, schema: S, limit = BODY_LIMIT): Promise<z.output<S>> {
  if (!isJson(request.headers.get("content-type"))) {
    throw new ApiError("unsupported_media_type", "the body must be application/json");
  }
  const bytes = await readLimited(request, limit);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    throw new ApiError("invalid_json", "the body is not valid JSON");
  }
  const proto = protoKeyPath(value);
  if (proto !== null) {
    const message = "the key __proto__ is not accepted (it could not be stored as sent)";
    throw new ApiError("invalid_request", `${proto}: ${message}`, [{ path: proto, message }]);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

/** Parses query parameters against `schema`, or throws 400 `invalid_request`. */
export function readQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) throw invalidRequest(parsed.error, ["query"]);
  return parsed.data;
}
