/**
 * The contract's error shape (CONTRACT.md "Errors"): its schema, and the one place that maps
 * failures to it. Handlers throw `ApiError`; zod failures become `invalid_request` with a path and
 * reason for every failing field; anything else is a bug: `internal`, with nothing internal in the
 * message.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z, ZodError } from "zod";

export const ErrorCode = z.enum([
  "invalid_request",
  "invalid_json",
  "unauthorized",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "conflict",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "internal",
  "not_configured",
  "unavailable",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorDetail = z.object({ path: z.string(), message: z.string() });
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** Every non-2xx body. */
export const ErrorResponse = z.object({
  error: z.object({ code: ErrorCode, message: z.string(), details: z.array(ErrorDetail).optional() }),
});
export type ErrorResponse = z.infer<typeof ErrorResponse>;

const STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  not_configured: 503,
  unavailable: 503,
};

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): ContentfulStatusCode {
    return STATUS[this.code];
  }
}

export function zodDetails(error: ZodError, prefix: string[] = []): ErrorDetail[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path.map(String)].join(".") || "(body)",
    message: issue.message,
  }));
}

export function invalidRequest(error: ZodError, prefix: string[] = []): ApiError {
  const details = zodDetails(error, prefix);
  const message = details.map((d) => `${d.path}: ${d.message}`).join("; ");
  return new ApiError("invalid_request", message, details);
}

export function errorBody(code: ErrorCode, message: string, details?: ErrorDetail[]): ErrorResponse {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

export function errorResponse(c: Context, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(errorBody(error.code, error.message, error.details), error.status);
}

/** `app.onError`: every thrown value ends as the contract's error shape. */
export function handleError(error: unknown, c: Context): Response {
  if (error instanceof ApiError) return errorResponse(c, error);
  if (error instanceof ZodError) return errorResponse(c, invalidRequest(error));
  console.error(
    JSON.stringify({
      level: "error",
      msg: "unhandled error",
      path: new URL(c.req.url).pathname,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }),
  );
  return c.json(errorBody("internal", "something went wrong on our side; the request may be retried"), 500);
}
