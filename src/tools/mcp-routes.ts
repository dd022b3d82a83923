/**
 * The executor worker's HTTP face: the built-in MCP servers at POST /mcp/<server> (Streamable HTTP,
 * stateless), reachable by outside MCP clients as well as in-process by the executor itself.
 * With `MCP_SERVER_TOKEN` set every MCP request needs `Authorization: Bearer <token>`. The notes
 * server is per tenant: the caller names the tenant in `X-Tenant-Id`.
 */
import { z } from "zod";
import type { ExecutorSettings } from "../adapters/executor-settings";
import type { ToolsEnv } from "./env";
import { createCalculatorServer } from "./servers/calculator";
import { createGitHubServer } from "./servers/github";
import { serveMcp } from "./servers/http";
import { createNotesServer } from "./servers/notes";
import type { NotesBackend } from "./servers/notes-store";

export const TENANT_HEADER = "x-tenant-id";
const TenantId = z.string().min(1).max(128);

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
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
  const match = /^\/mcp\/([a-z]+)\/?$/.exec(new URL(request.url).pathname);
  if (!match) return jsonError(404, "not_found", "no such route; MCP servers are at /mcp/calculator, /mcp/notes, /mcp/github");
  if (settings.mcpServerToken !== undefined && !sameSecret(request.headers.get("authorization") ?? "", `Bearer ${settings.mcpServerToken}`)) {
    return jsonError(401, "unauthorized", "missing or wrong bearer token");
  }
  if (match[1] === "notes" && settings.mcpServerToken === undefined && options.inProcess !== true) {
    return jsonError(403, "forbidden", "the notes server acts for any tenant it is told; set MCP_SERVER_TOKEN to serve it over HTTP");
  }
  switch (match[1]) {
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
      return jsonError(404, "not_found", `no MCP server named ${match[1]}`);
  }
}
