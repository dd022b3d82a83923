/**
 * Authentication and scopes (CONTRACT.md "Identity"). `API_KEYS` maps each key to a tenant, a user
 * and scopes; with no keys configured the engine runs in dev mode, where every request is tenant
 * `dev`, user `dev`, with all scopes. A malformed `API_KEYS` fails closed.
 */
import { z } from "zod";
import type { Principal } from "../engine/ports";
import { hasScope } from "../engine/tool-policy";
import { ApiError } from "./errors";

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

/** Resolves the caller from the `Authorization: Bearer <key>` header. */
export function authenticate(header: string | undefined, raw: string | undefined): Principal {
  const mode = authMode(raw);
  if (mode.mode === "dev") return DEV_PRINCIPAL;
  if (mode.mode === "misconfigured") {
    console.error(JSON.stringify({ level: "error", msg: "authentication is misconfigured", reason: mode.reason }));
    throw new ApiError("internal", "the server's authentication is misconfigured");
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (match === null) throw new ApiError("unauthorized", "missing Authorization: Bearer <api key>", undefined, { "www-authenticate": "Bearer" });
  const principal = mode.keys.get(match[1] ?? "");
  if (principal === undefined) throw new ApiError("unauthorized", "unknown API key", undefined, { "www-authenticate": "Bearer" });
  return principal;
}

export function requireScope(principal: Principal, scope: string): void {
  if (!hasScope(principal.scopes, scope)) throw new ApiError("forbidden", `this key lacks the scope ${scope}`);
}
