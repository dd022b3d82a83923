/**
 * The one file that touches the MCP SDK's client. It speaks Streamable HTTP to one server per call
 * (connect, request, close: the servers are stateless), validates with the Workers-safe JSON Schema
 * validator, and turns everything the SDK returns or throws into the plain shapes below, so that
 * nothing from the SDK leaks past this file.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { z } from "zod";
import { ToolDescriptor } from "../engine/tool-protocol";
import { DEDUPES_META, ERROR_META } from "./protocol-meta";

export interface McpEndpoint {
  url: string;
  headers: Record<string, string>;
  /** How requests travel: global `fetch`, a service binding's, or an in-process handler. */
  fetch: (url: string | URL, init?: RequestInit) => Promise<Response>;
}

export interface DiscoveredTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  annotations: ToolDescriptor["annotations"];
  /** The server declares (DEDUPES_META) that the tool acts at most once per request id. */
  dedupesRequestId: boolean;
}

/** A tool's answer. `isError` results are in-band failures the model may see; `error` carries their code. */
export interface ToolCallResult {
  isError: boolean;
  text: string;
  structured: Record<string, unknown> | null;
  error: { code: string; retryable: boolean } | null;
}

/**
 * The call did not produce a tool answer. `timeout`: no answer before the deadline; `unreachable`:
 * the server could not be reached or answered with an HTTP error (5xx: worth a retry);
 * `protocol`: the server answered with a JSON-RPC error or something that is not MCP.
 */
export class McpCallError extends Error {
  readonly kind: "timeout" | "unreachable" | "protocol";
  readonly retryable: boolean;
  constructor(kind: McpCallError["kind"], message: string, retryable: boolean) {
    super(message);
    this.name = "McpCallError";
    this.kind = kind;
    this.retryable = retryable;
  }
}

/** MCP tool annotations (`readOnlyHint`, `destructiveHint`, ...), as the descriptor keeps them. */
const Annotations = ToolDescriptor.shape.annotations;
const ListedTool = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  inputSchema: z.record(z.string(), z.unknown()),
  annotations: Annotations,
  _meta: z.record(z.string(), z.unknown()).optional(),
});
const ContentBlock = z.object({ type: z.string(), text: z.string().optional() });
const CallResult = z.object({
  content: z.array(ContentBlock).default([]),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
  isError: z.boolean().optional(),
  _meta: z.record(z.string(), z.unknown()).optional(),
});
const ErrorMeta = z.object({ code: z.string(), retryable: z.boolean().default(false) });

function classify(error: unknown, signal: AbortSignal): McpCallError {
  if (error instanceof McpCallError) return error;
  if (signal.aborted) return new McpCallError("timeout", "the tool did not answer before its timeout", true);
  if (error instanceof StreamableHTTPError) {
    const status = error.code ?? 0;
    return new McpCallError("unreachable", `the MCP server answered HTTP ${status || "error"}`, status >= 500 || status === 429 || status === 0);
  }
  if (error instanceof McpError) return new McpCallError("protocol", `MCP error ${error.code}: ${error.message}`, false);
  if (error instanceof TypeError) return new McpCallError("unreachable", `the MCP server could not be reached: ${error.message}`, true);
  const message = error instanceof Error ? error.message : String(error);
  return new McpCallError("protocol", message.slice(0, 300), false);
}

async function withClient<T>(endpoint: McpEndpoint, timeoutMs: number, use: (client: Client, signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  const transport = new StreamableHTTPClientTransport(new URL(endpoint.url), {
    fetch: (url, init) => endpoint.fetch(url, init),
    requestInit: { headers: endpoint.headers },
  });
  const client = new Client({ name: "run-engine-tools", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  try {
    await client.connect(transport, { signal, timeout: timeoutMs });
    return await use(client, signal);
  } catch (error) {
    throw classify(error, signal);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Discovers a server's tools (`tools/list`, following pagination). */
export async function listServerTools(endpoint: McpEndpoint, timeoutMs: number): Promise<DiscoveredTool[]> {
  return withClient(endpoint, timeoutMs, async (client, signal) => {
    const tools: DiscoveredTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { signal, timeout: timeoutMs });
      for (const tool of page.tools) {
        const parsed = ListedTool.safeParse(tool);
        if (!parsed.success) throw new McpCallError("protocol", `tool ${String(tool.name)} has a malformed descriptor`, false);
        const { _meta, ...listed } = parsed.data;
        tools.push({ ...listed, dedupesRequestId: _meta?.[DEDUPES_META] === true });
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  });
}

/** Calls one tool. `meta` travels as the request's `_meta` (the request id, for servers that dedupe). */
export async function callServerTool(
  endpoint: McpEndpoint,
  tool: string,
  args: Record<string, unknown>,
  options: { timeoutMs: number; meta?: Record<string, unknown> },
): Promise<ToolCallResult> {
  return withClient(endpoint, options.timeoutMs, async (client, signal) => {
    const raw = await client.callTool(
      { name: tool, arguments: args, ...(options.meta ? { _meta: options.meta } : {}) },
      undefined,
      { signal, timeout: options.timeoutMs },
    );
    const parsed = CallResult.safeParse(raw);
    if (!parsed.success) throw new McpCallError("protocol", "the tool's result is not an MCP CallToolResult", false);
    const result = parsed.data;
    const text = result.content
      .map((block) => (block.type === "text" ? (block.text ?? "") : `[${block.type}]`))
      .join("\n");
    const errorMeta = result.isError ? ErrorMeta.safeParse(result._meta?.[ERROR_META]) : undefined;
    return {
      isError: result.isError === true,
      text,
      structured: result.structuredContent ?? null,
      error: errorMeta?.success ? errorMeta.data : null,
    };
  });
}
