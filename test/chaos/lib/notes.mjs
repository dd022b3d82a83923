/**
 * Reads a tenant's notes back through the api worker's forwarded MCP path (`POST /mcp/notes`,
 * Streamable HTTP, stateless): a JSON-RPC `tools/call` of `list`, with the executor's
 * MCP_SERVER_TOKEN and the tenant in `X-Tenant-Id`. This is how the suite counts side effects:
 * from the store the tool wrote, not from what the run's log claims.
 */
import { request } from "./http.mjs";

/** The server lists at most this many notes, newest first; a tenant must stay below it to be counted. */
export const LIST_LIMIT = 100;

function parseRpc(response) {
  if (response.json !== undefined) return response.json;
  // An SSE answer: the JSON-RPC message is the data of the last `message` event.
  const data = response.text
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).trim());
  return data.length > 0 ? JSON.parse(data.at(-1)) : undefined;
}

export async function listNotes(baseUrl, token, tenantId) {
  const response = await request("POST", `${baseUrl}/mcp/notes`, {
    headers: {
      authorization: `Bearer ${token}`,
      "x-tenant-id": tenantId,
      accept: "application/json, text/event-stream",
    },
    body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "list", arguments: {} } },
  });
  if (response.status !== 200) throw new Error(`POST /mcp/notes for ${tenantId}: ${response.status} ${response.text.slice(0, 300)}`);
  const rpc = parseRpc(response);
  const notes = rpc?.result?.structuredContent?.notes;
  if (!Array.isArray(notes)) throw new Error(`POST /mcp/notes for ${tenantId}: no notes in ${response.text.slice(0, 300)}`);
  if (notes.length >= LIST_LIMIT) throw new Error(`tenant ${tenantId} has ${notes.length} notes: past the list limit, they cannot be counted`);
  return notes;
}
