/**
 * Calls the api worker's real fetch handler with `API_KEYS` configured, for the tests of
 * authentication, scopes and tenant isolation (the default test environment runs in dev mode), or
 * with any other variables (`vars`) and on any host (`base`).
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, vi } from "vitest";
import worker from "../../src/worker/index";
import { BASE } from "./api";

export const KEYS = {
  ann: { tenant_id: "acme", user_id: "ann", scopes: ["runs:read", "runs:write", "feedback:write"] },
  reader: { tenant_id: "acme", user_id: "rita", scopes: ["runs:read"] },
  gil: { tenant_id: "globex", user_id: "gil", scopes: ["runs:read", "runs:write", "feedback:write"] },
  root: { tenant_id: "acme", user_id: "root", scopes: ["admin"] },
  bot: { tenant_id: "acme", user_id: "bot", scopes: ["runs:read", "runs:write", "tools:unattended"] },
} as const;

export const KEYED_VARS = { API_KEYS: JSON.stringify(KEYS) };

export type CallInit = RequestInit & { key?: keyof typeof KEYS | string; json?: unknown; base?: string; vars?: Partial<Env> };

/** The worker with `vars` over the test environment (default: the KEYS above), as `base` + `path`. */
export async function keyed(path: string, init: CallInit = {}) {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set("authorization", `Bearer ${init.key}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const ctx = createExecutionContext();
  const request = new Request(`${init.base ?? BASE}${path}`, { ...init, headers, body }) as Request<unknown, IncomingRequestCfProperties>;
  const response = await worker.fetch(request, { ...env, ...(init.vars ?? KEYED_VARS) } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Every answer of 500 or more is logged as an error line: keeps the output of tests that expect them readable. */
export function muteErrorLogs(): void {
  beforeEach(() => {
    vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
}
