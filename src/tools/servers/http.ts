/**
 * Serves one MCP server over Streamable HTTP, stateless: a fresh server and transport per request,
 * JSON responses (no SSE stream to keep open), and 405 for GET and DELETE, which only make sense
 * with sessions (the SDK would otherwise hold a GET stream open for ever).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { ERROR_META } from "../protocol-meta";

/** Options for every built-in server: the Workers-safe validator (ajv generates code, which workerd forbids). */
export const SERVER_OPTIONS = { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() };


export interface ToolErrorResult {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  isError: true;
  _meta: Record<string, unknown>;
}

/** An in-band tool failure, classified by fields (code, retryable) rather than by its text. */
export function toolError(code: string, message: string, retryable = false): ToolErrorResult {
  return { content: [{ type: "text", text: message }], isError: true, _meta: { [ERROR_META]: { code, retryable } } };
}

function methodNotAllowed(): Response {
  const body = { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: this server is stateless, use POST" }, id: null };
  return Response.json(body, { status: 405, headers: { allow: "POST" } });
}

export async function serveMcp(request: Request, server: McpServer): Promise<Response> {
  if (request.method !== "POST") return methodNotAllowed();
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  await server.connect(transport);
  try {
    return await transport.handleRequest(request);
  } finally {
    // With JSON responses every answer is in the returned body, so the server can go now.
    await server.close();
  }
}
