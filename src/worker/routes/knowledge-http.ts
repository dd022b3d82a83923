/**
 * HTTP plumbing the knowledge routes need: the error shape of CONTRACT.md ("Errors") and reading
 * a JSON body under a size limit of the route's own. The body is read as a stream and abandoned
 * as soon as it passes the limit, so an oversized upload is never held in memory whole.
 */
import type { ZodError } from "zod";

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = "ApiError";
  }

  toResponse(): Response {
    const error = this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
    return Response.json({ error }, { status: this.status });
  }
}

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join(".") || "(root)", message: issue.message }));
}

/** The body parsed as JSON: 415 unless `application/json`, 413 past `maxBytes`, 400 if not JSON. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "the body must be application/json");
  }
  const tooLarge = () => new ApiError(413, "payload_too_large", `the body is over ${maxBytes} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const parts: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      parts.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError(400, "invalid_json", "the body is not valid JSON");
  }
}
