import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { allowedTools } from "../../../src/engine/tool-policy";
import { ServiceToolCatalog } from "../../../src/adapters/service-tool-catalog";

describe("tool registry (listTools over the TOOLS service binding)", () => {
  it("discovers every server's tools with descriptors, scopes and annotations", async () => {
    const tools = await new ServiceToolCatalog(env.TOOLS).list("acme");
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()]).toEqual([
      "calculator.evaluate",
      "github.get_repo",
      "github.list_issues",
      "notes.list",
      "notes.save",
      "remote.big",
      "remote.bump",
      "remote.echo",
      "remote.sleep",
    ]);
    expect(byName.get("calculator.evaluate")).toMatchObject({
      server: "calculator",
      tool: "evaluate",
      read_only: true,
      scope: "runs:write",
      approval: "auto",
      annotations: { readOnlyHint: true },
      input_schema: { type: "object", properties: { expression: { type: "string" } }, required: ["expression"] },
    });
    expect(byName.get("notes.save")).toMatchObject({ read_only: false, scope: "runs:write", annotations: { readOnlyHint: false } });
    expect(byName.get("notes.list")?.read_only).toBe(true);
    expect(byName.get("github.get_repo")).toMatchObject({ read_only: true, scope: "tools:github" });
    // A server registered by MCP_SERVERS configuration alone, scoped tools:<name>.
    expect(byName.get("remote.echo")).toMatchObject({ server: "remote", scope: "tools:remote", read_only: true });
    expect(byName.get("remote.bump")?.read_only).toBe(false);
  });

  it("applies the tenant's allowlist, and the caller's scopes filter what it may use", async () => {
    const restricted = await new ServiceToolCatalog(env.TOOLS).list("restricted");
    expect(restricted.map((tool) => tool.name)).toEqual(["calculator.evaluate"]);
    const all = await new ServiceToolCatalog(env.TOOLS).list("acme");
    expect(allowedTools(all, ["runs:write"]).map((tool) => tool.server)).toEqual(["calculator", "notes", "notes"]);
  });
});
