/**
 * The executor worker's HTTP face: the built-in MCP servers at POST /mcp/<server> (Streamable HTTP,
 * stateless), reachable by outside MCP clients as well as in-process by the executor itself.
 * With `MCP_SERVER_TOKEN` set every MCP request needs `Authorization: Bearer <token>`. The notes
 * server is per tenant: the caller names the tenant in `X-Tenant-Id`.
 */
import { z } from "zod";
import type { ExecutorSettings } from "../adapters/executor-settings";
import type { ToolsEnv } from "./env";
import { BUILTIN_SERVERS } from "./server-specs";
import { createCalculatorServer } from "./servers/calculator";
import { createGitHubServer } from "./servers/github";
import { serveMcp } from "./servers/http";
import { createNotesServer } from "./servers/notes";
import type { NotesBackend } from "./servers/notes-store";

export const TENANT_HEADER = "x-tenant-id";
const TenantId = z.string().min(1).max(128);

function jsonError(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}

/**
 * 401 with the RFC 6750 challenge: it tells a client (the MCP Inspector, an SDK client) to send a
 * static bearer token, so it does not go looking for an OAuth authorization server instead.
 */
function unauthorized(presented: boolean): Response {
  const challenge = presented ? 'Bearer realm="run-engine-tools", error="invalid_token"' : 'Bearer realm="run-engine-tools"';
  const message = presented ? "wrong bearer token" : "missing bearer token: send Authorization: Bearer <MCP_SERVER_TOKEN>";
  return jsonError(401, "unauthorized", message, { "www-authenticate": challenge });
}

/** Compares a presented credential with the expected one in constant time. */
function sameSecret(presented: string, expected: string): boolean {
  const a = new TextEncoder().encode(presented);
  const b = new TextEncoder().encode(expected);
  return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}

/** A backend that asks for the tenant only when a notes tool actually runs (tools/list needs none). */
function notesFor(env: ToolsEnv, tenantHeader: string | null): NotesBackend {
  const stub = () => {
    const tenant = TenantId.safeParse(tenantHeader);
    if (!tenant.success) throw new Error(`the notes server needs the tenant in the ${TENANT_HEADER} header`);
    return env.NOTES.getByName(tenant.data);
  };
  return {
    save: (input, requestKey) => stub().save(input, requestKey),
    list: (limit) => stub().list(limit),
  };
}

/**
 * `inProcess`: the executor calling its own servers (never a request from outside). The notes
 * server acts for whichever tenant `X-Tenant-Id` names, so from outside it is served only behind
 * `MCP_SERVER_TOKEN`: without one configured it is refused (fail closed), not open to anyone.
 */
export async function handleMcpHttp(
  request: Request,
  env: ToolsEnv,
  settings: ExecutorSettings,
  options: { inProcess?: boolean } = {},
): Promise<Response> {
  const refusal = refuse(request, settings, options);
  if (refusal !== null) {
    // The body is read (and dropped) before answering: through the api worker's forward, a body
    // left unread makes the forward fail after the answer was sent ("Can't read from request
    // stream"). Its size is bounded by the platform's request limit, as for any request.
    await request.arrayBuffer().catch(() => undefined);
    return refusal;
  }
  const server = serverName(request);
  switch (server) {
    case "calculator":
      return serveMcp(request, createCalculatorServer());
    case "notes":
      return serveMcp(request, createNotesServer(notesFor(env, request.headers.get(TENANT_HEADER))));
    case "github":
      return serveMcp(
        request,
        createGitHubServer({
          apiBase: settings.githubApiBase,
          token: settings.githubToken,
          timeoutMs: settings.githubTimeoutMs,
          fetch: (input, init) => fetch(input, init),
        }),
      );
    default:
      return jsonError(404, "not_found", `no MCP server named ${server}`);
  }
}

function serverName(request: Request): string | null {
  return /^\/mcp\/([a-z]+)\/?$/.exec(new URL(request.url).pathname)?.[1] ?? null;
}

/** Why the request is not served (an error response), or null when it may be. */
function refuse(request: Request, settings: ExecutorSettings, options: { inProcess?: boolean }): Response | null {
  const server = serverName(request);
  if (server === null || !(BUILTIN_SERVERS as readonly string[]).includes(server)) {
    return jsonError(404, "not_found", "no such route; MCP servers are at /mcp/calculator, /mcp/notes, /mcp/github");
  }
  const authorization = request.headers.get("authorization");
  if (settings.mcpServerToken !== undefined && !sameSecret(authorization ?? "", `Bearer ${settings.mcpServerToken}`)) {
    return unauthorized(authorization !== null);
  }
  if (server === "notes" && settings.mcpServerToken === undefined && options.inProcess !== true) {
    return jsonError(403, "forbidden", "the notes server acts for any tenant it is told; set MCP_SERVER_TOKEN to serve it over HTTP");
  }
  return null;
}
