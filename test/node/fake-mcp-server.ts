/**
 * A remote Streamable HTTP MCP server for the tests, on 127.0.0.1, registered with the executor
 * through MCP_SERVERS only (no code): it needs a bearer token (from a secret), and offers tools
 * that misbehave on purpose: `sleep` hangs, `big` answers too much, `bump` has a side effect whose
 * count the tests read at GET /count, and POST /fail-next?match=M&n=N makes the next N requests
 * whose body contains M answer 503 (a marker per test, since test files run concurrently).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { z } from "zod";

export const REMOTE_MCP_TOKEN = "remote-secret-token";

function buildServer(counts: Map<string, number>): McpServer {
  const server = new McpServer({ name: "remote-test", version: "1.0.0" });
  const readOnly = { readOnlyHint: true };
  server.registerTool("echo", { description: "Echoes its text.", inputSchema: { text: z.string() }, annotations: readOnly }, ({ text }) => ({
    content: [{ type: "text", text }],
  }));
  server.registerTool(
    "sleep",
    { description: "Answers after ms milliseconds.", inputSchema: { ms: z.number().int().min(0) }, annotations: readOnly },
    async ({ ms }) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { content: [{ type: "text", text: `slept ${ms} ms` }] };
    },
  );
  server.registerTool(
    "big",
    { description: "Answers with size bytes of text.", inputSchema: { size: z.number().int().min(1) }, annotations: readOnly },
    ({ size }) => ({ content: [{ type: "text", text: "x".repeat(size) }] }),
  );
  server.registerTool(
    "bump",
    { description: "Counts a side effect under key.", inputSchema: { key: z.string() }, annotations: { readOnlyHint: false } },
    ({ key }) => {
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return { content: [{ type: "text", text: `bumped ${key}` }] };
    },
  );
  return server;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeMcpServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const counts = new Map<string, number>();
  const failures = new Map<string, number>();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/count") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ count: counts.get(url.searchParams.get("key") ?? "") ?? 0 }));
      return;
    }
    if (url.pathname === "/fail-next") {
      failures.set(url.searchParams.get("match") ?? "", Number(url.searchParams.get("n") ?? "1"));
      res.writeHead(204).end();
      return;
    }
    if (url.pathname !== "/mcp") return void res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${REMOTE_MCP_TOKEN}`) return void res.writeHead(401).end("unauthorized");
    if (req.method !== "POST") return void res.writeHead(405, { allow: "POST" }).end();
    const body = await readBody(req);
    for (const [match, left] of failures) {
      if (left > 0 && match !== "" && body.includes(match)) {
        failures.set(match, left - 1);
        return void res.writeHead(503).end("unavailable");
      }
    }
    const headers = new Headers();
    for (const [key, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(key, value);
    const request = new Request(`http://127.0.0.1${url.pathname}`, { method: "POST", headers, body });
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    const mcp = buildServer(counts);
    await mcp.connect(transport);
    const response = await transport.handleRequest(request);
    const out: Record<string, string> = {};
    response.headers.forEach((value, key) => (out[key] = value));
    res.writeHead(response.status, out);
    res.end(Buffer.from(await response.arrayBuffer()));
    await mcp.close();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
