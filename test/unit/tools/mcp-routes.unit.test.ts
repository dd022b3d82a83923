/** The executor's HTTP face: MCP servers by path, and the bearer token that guards them when set. */
import { describe, expect, it } from "vitest";
import { parseExecutorSettings } from "../../../src/adapters/executor-settings";
import type { ToolsEnv } from "../../../src/tools/env";
import { BUILTIN_SERVERS } from "../../../src/tools/server-specs";
import { handleMcpHttp } from "../../../src/tools/mcp-routes";

const env = { LOG_LEVEL: "error" } as unknown as ToolsEnv;
const listTools = (path: string, headers: Record<string, string> = {}) =>
  new Request(`https://tools.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });

describe("MCP routes", () => {
  it("needs the bearer token when MCP_SERVER_TOKEN is set, and challenges for it with WWW-Authenticate: Bearer", async () => {
    const config = { ...parseExecutorSettings(env, BUILTIN_SERVERS), mcpServerToken: "t0k3n" };
    const missing = await handleMcpHttp(listTools("/mcp/calculator"), env, config);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="run-engine-tools"');
    expect(await missing.json()).toEqual({ error: { code: "unauthorized", message: expect.stringContaining("Bearer") } });
    const wrong = await handleMcpHttp(listTools("/mcp/calculator", { authorization: "Bearer wrong" }), env, config);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toBe('Bearer realm="run-engine-tools", error="invalid_token"');
    expect(await wrong.json()).toMatchObject({ error: { code: "unauthorized" } });
    const ok = await handleMcpHttp(listTools("/mcp/calculator", { authorization: "Bearer t0k3n" }), env, config);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ result: { tools: [{ name: "evaluate" }] } });
  });

  it("answers 404 for unknown servers and paths", async () => {
    const config = parseExecutorSettings(env, BUILTIN_SERVERS);
    expect((await handleMcpHttp(listTools("/mcp/shell"), env, config)).status).toBe(404);
    expect((await handleMcpHttp(listTools("/admin"), env, config)).status).toBe(404);
  });
});

describe("the notes server over HTTP without MCP_SERVER_TOKEN (the shipped default)", () => {
  const listNotes = () =>
    new Request("https://tools.test/mcp/notes", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "x-tenant-id": "acme" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "list", arguments: {} } }),
    });

  it("is refused: its X-Tenant-Id header would let anyone act as any tenant", async () => {
    const config = parseExecutorSettings(env, BUILTIN_SERVERS);
    expect(config.mcpServerToken).toBeUndefined();
    const response = await handleMcpHttp(listNotes(), env, config);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "forbidden" } });
  });
});
