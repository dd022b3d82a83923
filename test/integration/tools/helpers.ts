/**
 * Helpers for the tool tests: forged tool-request messages (as a run would send them), waiting for
 * the executor's outcome in its ledger, and MCP endpoints that reach the executor's servers over
 * the TOOLS service binding.
 */
import { env } from "cloudflare:workers";
import { createIds } from "../../../src/engine/ids";
import type { ToolOutcome, ToolRequestMessage } from "../../../src/engine/tool-protocol";
import { splitToolName } from "../../../src/engine/tool-protocol";
import type { LedgerRecord } from "../../../src/tools/ledger";
import type { McpEndpoint } from "../../../src/tools/mcp-client";
import { MCP_SERVER_TOKEN } from "../../support/mcp-server-token";

const ids = createIds(() => Date.now(), Math.random);

export function newRunId(): string {
  return ids.run();
}

export function newTenant(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

type MessageInput = Partial<ToolRequestMessage> & Pick<ToolRequestMessage, "tool" | "args">;

/** A message as a run would send it: local-server scope, policy `auto`, not approved, 20 s to go. */
export function toolMessage(input: MessageInput): ToolRequestMessage {
  const now = Date.now();
  return {
    v: 1,
    request_id: ids.request(),
    run_id: ids.run(),
    tenant_id: "acme",
    user_id: "ann",
    scopes: ["runs:write"],
    server: splitToolName(input.tool)?.server ?? "unknown",
    call_index: 1,
    approval: "auto",
    approved: false,
    requested_at: new Date(now).toISOString(),
    deadline_at: new Date(now + 20_000).toISOString(),
    ...input,
  };
}

export async function inspect(msg: Pick<ToolRequestMessage, "tenant_id" | "run_id" | "request_id">): Promise<LedgerRecord | null> {
  return env.TOOLS.inspectRequest(msg.tenant_id, msg.run_id, msg.request_id);
}

/** Waits until the executor has persisted an outcome for the request. */
export async function outcomeOf(msg: Pick<ToolRequestMessage, "tenant_id" | "run_id" | "request_id">, timeoutMs = 10_000): Promise<ToolOutcome> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const record = await inspect(msg);
    if (record?.outcome) return record.outcome;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no outcome for ${msg.request_id} within ${timeoutMs} ms`);
}

/** Sends a message through the real Queue and waits for its outcome. */
export async function run(input: MessageInput, timeoutMs?: number): Promise<{ msg: ToolRequestMessage; outcome: ToolOutcome }> {
  const msg = toolMessage(input);
  await env.TOOL_QUEUE.send(msg);
  return { msg, outcome: await outcomeOf(msg, timeoutMs) };
}

/** An MCP endpoint for a built-in server, reached over the TOOLS service binding with the executor's token. */
export function builtinEndpoint(server: string, headers: Record<string, string> = {}): McpEndpoint {
  return {
    url: `https://run-engine-tools.test/mcp/${server}`,
    headers: { authorization: `Bearer ${MCP_SERVER_TOKEN}`, ...headers },
    fetch: (url, init) => env.TOOLS.fetch(new Request(url, init)),
  };
}
