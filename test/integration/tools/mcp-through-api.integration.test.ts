/**
 * The built-in MCP servers at the address a developer has under `wrangler dev`: the api worker's
 * `/mcp/<server>`, which forwards to the executor worker. The MCP SDK's real Client (through
 * src/tools/mcp-client.ts) lists and calls the calculator there, with the executor's
 * MCP_SERVER_TOKEN; without it the answer is a 401 that challenges for a bearer token (RFC 6750), so
 * that a client such as the MCP Inspector sends one instead of starting an OAuth flow.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callServerTool, listServerTools, McpCallError, type McpEndpoint } from "../../../src/tools/mcp-client";
import { MCP_SERVER_TOKEN } from "../../support/mcp-server-token";

/** The api worker, as `npm run dev` serves it on localhost:8787. */
function throughApi(server: string, headers: Record<string, string>): McpEndpoint {
  return { url: `http://localhost:8787/mcp/${server}`, headers, fetch: (url, init) => exports.default.fetch(new Request(url, init)) };
}

const withToken = throughApi("calculator", { authorization: `Bearer ${MCP_SERVER_TOKEN}` });

function listRequest(headers: Record<string, string>): Request {
  return new Request("http://localhost:8787/mcp/calculator", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }),
  });
}

describe("MCP through the api worker's /mcp path", () => {
  it("the SDK's Client lists the calculator's tools and calls evaluate, with the token", async () => {
    const tools = await listServerTools(withToken, 5_000);
    expect(tools.map((tool) => tool.name)).toEqual(["evaluate"]);
    const result = await callServerTool(withToken, "evaluate", { expression: "12 * (3 + 4)" }, { timeoutMs: 5_000 });
    expect(result).toMatchObject({ isError: false, text: "12 * (3 + 4) = 84", structured: { value: 84 } });
  });

  it("without the token, or with a wrong one, the Client is refused", async () => {
    for (const headers of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const refused = await listServerTools(throughApi("calculator", headers), 5_000).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(McpCallError);
      expect((refused as McpCallError).message).toContain("401");
    }
  });

  it("answers 401 with WWW-Authenticate: Bearer and the contract's error shape", async () => {
    const missing = await exports.default.fetch(listRequest({}));
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="run-engine-tools"');
    expect(await missing.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });

    const wrong = await exports.default.fetch(listRequest({ authorization: "Bearer wrong" }));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer .*error="invalid_token"/);
    expect(await wrong.json()).toMatchObject({ error: { code: "unauthorized" } });
  });
});
