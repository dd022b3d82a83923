/**
 * Authentication and scopes (CONTRACT.md "Identity"). `API_KEYS` maps each key to a tenant, a user
 * and scopes. With no keys configured the engine runs in dev mode, and only for requests to a
 * loopback host (every such request is tenant `dev`, user `dev`, with all scopes); any other host is
 * refused with 503, so a deployment whose secret was forgotten is closed, not open. A malformed
 * `API_KEYS` fails closed: every request is refused with 500 and the log says why.
 *
 * The events routes also accept a stream token in `?access_token=` (a browser's EventSource cannot
 * send a header); the router says which routes do by naming the path parameter the token must be
 * bound to, and this module checks it (stream-token.ts signs and verifies).
 */
import { z } from "zod";
import type { Principal } from "../engine/ports";
import { hasScope } from "../engine/tool-policy";
import { ApiError } from "./errors";
import { verifyStreamToken } from "./stream-token";

const KeyEntry = z.object({
  tenant_id: z.string().min(1).max(128),
  user_id: z.string().min(1).max(128),
  scopes: z.array(z.string().min(1)),
});
const KeyMap = z.record(z.string().min(1), KeyEntry);

export type AuthMode = { mode: "dev" } | { mode: "keys"; keys: Map<string, Principal> } | { mode: "misconfigured"; reason: string };

export const DEV_PRINCIPAL: Principal = { tenant_id: "dev", user_id: "dev", scopes: ["admin"] };

let cached: { raw: string | undefined; mode: AuthMode } | null = null;

export function authMode(raw: string | undefined): AuthMode {
  if (cached !== null && cached.raw === raw) return cached.mode;
  let mode: AuthMode;
  if (raw === undefined || raw.trim() === "") {
    mode = { mode: "dev" };
  } else {
    try {
      const parsed = KeyMap.parse(JSON.parse(raw));
      const keys = new Map(Object.entries(parsed).map(([key, entry]) => [key, entry]));
      mode = keys.size === 0 ? { mode: "dev" } : { mode: "keys", keys };
    } catch {
      mode = { mode: "misconfigured", reason: "API_KEYS is not a JSON object of {tenant_id, user_id, scopes}" };
    }
  }
  cached = { raw, mode };
  return mode;
}

/**
 * Whether a URL's host is loopback: `localhost`, `127.0.0.0/8` or `[::1]`. Judged from the request
 * URL (the URL parser has already normalised `127.1`, `0x7f.0.0.1` and the like to dotted quads).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** What `GET /healthz` reports as `auth`: the mode, and `not_configured` where dev mode refuses. */
export function authSummary(url: string, raw: string | undefined): "dev" | "keys" | "misconfigured" | "not_configured" {
  const { mode } = authMode(raw);
  if (mode === "dev" && !isLoopbackHost(new URL(url).hostname)) return "not_configured";
  return mode;
}

const unauthorized = (message: string) => new ApiError("unauthorized", message, undefined, { "www-authenticate": "Bearer" });

/**
 * Resolves the caller of `request`: the `Authorization: Bearer <key>` header, or, on a route that
 * takes stream tokens (`tokenTarget` is the run or thread id the route addresses) and only when
 * the header is absent, the `?access_token=` query parameter.
 */
export async function authenticate(request: Request, env: Pick<Env, "API_KEYS" | "STREAM_TOKEN_SECRET">, tokenTarget?: string): Promise<Principal> {
  const mode = authMode(env.API_KEYS);
  if (mode.mode === "misconfigured") {
    console.error(JSON.stringify({ level: "error", msg: "authentication is misconfigured", reason: mode.reason }));
    throw new ApiError("internal", "the server's authentication is misconfigured");
  }
  const url = new URL(request.url);
  if (mode.mode === "dev") {
    if (isLoopbackHost(url.hostname)) return DEV_PRINCIPAL;
    throw new ApiError(
      "not_configured",
      "no API keys are configured: this server answers only requests to a loopback host until API_KEYS is set",
    );
  }
  const header = request.headers.get("authorization");
  const token = url.searchParams.get("access_token");
  if (header === null && token !== null && tokenTarget !== undefined) {
    const claims = await verifyStreamToken(env, token, tokenTarget);
    if (claims === null) throw unauthorized("the stream token is expired, altered or not for this stream");
    // A stream token reads one run's (or thread's) events and nothing else: the route it is
    // accepted on is the only place this principal goes.
    return { tenant_id: claims.tenant_id, user_id: "stream-token", scopes: ["runs:read"] };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (match === null) throw unauthorized("missing Authorization: Bearer <api key>");
  const principal = mode.keys.get(match[1] ?? "");
  if (principal === undefined) throw unauthorized("unknown API key");
  return principal;
}

export function requireScope(principal: Principal, scope: string): void {
  if (!hasScope(principal.scopes, scope)) throw new ApiError("forbidden", `this key lacks the scope ${scope}`);
}
