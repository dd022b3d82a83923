/**
 * CORS (CONTRACT.md "CORS"), as the first middleware of the app, so that every answer it gives
 * (routes, SSE streams, errors, 404s and 405s, the forwarded /mcp/*) carries the headers. An
 * allowed origin gets `Access-Control-Allow-Origin: <origin>`, `Vary: Origin` and the exposed
 * headers, and its preflight `OPTIONS` on any path is answered here with 204. A request from any
 * other origin passes through untouched: no CORS header, so the browser blocks it, and nothing
 * else changes.
 *
 * `CORS_ORIGINS` is a comma-separated list of origins or `*`; unset, it is `*` in dev mode (no
 * `API_KEYS`) and none with keys configured (or misconfigured: fail closed).
 */
import type { MiddlewareHandler } from "hono";
import { authMode } from "./auth";
import type { AppEnv } from "./router";

export const ALLOW_METHODS = "GET, POST, OPTIONS";
export const ALLOW_HEADERS = "authorization, content-type, idempotency-key, last-event-id";
export const EXPOSE_HEADERS = "Retry-After, Idempotency-Key";
export const MAX_AGE_S = "600";

export type CorsPolicy = { any: true } | { any: false; origins: ReadonlySet<string> };

/** An origin as a browser sends it: scheme, host and port, lower case, no path or trailing slash. */
function normalOrigin(origin: string): string {
  const trimmed = origin.trim().toLowerCase();
  try {
    const url = new URL(trimmed);
    return url.origin === "null" ? trimmed : url.origin;
  } catch {
    return trimmed;
  }
}

let cached: { origins: string | undefined; keys: string | undefined; policy: CorsPolicy } | null = null;

export function corsPolicy(env: Pick<Env, "CORS_ORIGINS" | "API_KEYS">): CorsPolicy {
  if (cached !== null && cached.origins === env.CORS_ORIGINS && cached.keys === env.API_KEYS) return cached.policy;
  const configured = (env.CORS_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  let policy: CorsPolicy;
  if (configured.length === 0) {
    policy = authMode(env.API_KEYS).mode === "dev" ? { any: true } : { any: false, origins: new Set() };
  } else if (configured.includes("*")) {
    policy = { any: true };
  } else {
    policy = { any: false, origins: new Set(configured.map(normalOrigin)) };
  }
  cached = { origins: env.CORS_ORIGINS, keys: env.API_KEYS, policy };
  return policy;
}

export function originAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.any || policy.origins.has(normalOrigin(origin));
}

function appendVary(headers: Headers, value: string): void {
  const current = headers.get("vary");
  if (current === null || current.trim() === "") headers.set("vary", value);
  else if (!current.split(",").some((v) => v.trim().toLowerCase() === value.toLowerCase() || v.trim() === "*")) headers.set("vary", `${current}, ${value}`);
}

export function cors(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin === undefined || !originAllowed(corsPolicy(c.env), origin)) return next();
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
      const headers = new Headers({
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": MAX_AGE_S,
        vary: "Origin",
      });
      return new Response(null, { status: 204, headers });
    }
    await next();
    // A response from a binding or an object (an SSE stream) has immutable headers: copy it once.
    const response = new Response(c.res.body, c.res);
    response.headers.set("access-control-allow-origin", origin);
    response.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
    appendVary(response.headers, "Origin");
    // Clear first: Hono's setter would otherwise copy the old headers (its Vary) over the new ones.
    c.res = undefined;
    c.res = response;
  };
}
