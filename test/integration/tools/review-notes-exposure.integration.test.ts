/**
 * Tenant isolation of the notes server over the executor's public HTTP face. With the shipped
 * configuration (src/tools/wrangler.toml: no MCP_SERVER_TOKEN, and the worker deployed on its
 * workers.dev address), `/mcp/notes` answers anyone, for whichever tenant its `X-Tenant-Id` header
 * names: an anonymous client reads and writes every tenant's notes (CONTRACT.md: "notes are per
 * tenant"; another tenant's data is never reachable).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newTenant, run } from "./helpers";

function anonymousNotesCall(tenant: string, name: string, args: Record<string, unknown>) {
  return env.TOOLS.fetch(
    new Request("https://run-engine-tools.example.workers.dev/mcp/notes", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "x-tenant-id": tenant },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }),
    }),
  );
}

describe("the notes server over HTTP", () => {
  it("does not hand a tenant's notes to an unauthenticated caller who names the tenant", async () => {
    const tenant = newTenant("victim");
    // The tenant saves a note the normal way: an approved notes.save from one of its runs.
    const { outcome } = await run({ tool: "notes.save", args: { text: "the vault code is 4711" }, tenant_id: tenant, approved: true });
    expect(outcome.status).toBe("completed");

    const response = await anonymousNotesCall(tenant, "list", {});
    const body = await response.text();
    expect(body, "an anonymous caller read the tenant's note").not.toContain("4711");
    expect([401, 403]).toContain(response.status);
  });

  it("does not let an unauthenticated caller write into a tenant's notes", async () => {
    const tenant = newTenant("victim");
    const response = await anonymousNotesCall(tenant, "save", { text: "planted by nobody" });
    await response.text();
    expect([401, 403]).toContain(response.status);
  });
});
