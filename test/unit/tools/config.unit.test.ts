import { describe, expect, it } from "vitest";
import { readConfig } from "../../../src/tools/config";
import type { ToolsEnv } from "../../../src/tools/env";
import { readServerSpecs, ServerConfigError } from "../../../src/tools/server-specs";

const bindings = {} as Pick<ToolsEnv, "RUN_OBJECT" | "CALL_LEDGER" | "NOTES" | "TOOL_CACHE">;
const envWith = (vars: Record<string, string>): ToolsEnv => ({ ...bindings, ...vars });

describe("MCP_SERVERS", () => {
  it("registers a remote server by configuration, with headers from secrets", () => {
    const env = envWith({
      MCP_SERVERS: JSON.stringify([
        { name: "docs", url: "https://mcp.example.com/mcp", headers: { Authorization: { secret: "DOCS_TOKEN", prefix: "Bearer " }, "X-Team": "a" }, approval: "always" },
      ]),
      DOCS_TOKEN: "s3cret",
    });
    const specs = readServerSpecs(env);
    expect(specs.map((spec) => spec.name)).toEqual(["calculator", "notes", "github", "docs"]);
    expect(specs[3]).toEqual({
      name: "docs",
      kind: "remote",
      url: "https://mcp.example.com/mcp",
      scope: "tools:docs",
      approval: "always",
      headers: { Authorization: "Bearer s3cret", "X-Team": "a" },
    });
    expect(specs.find((spec) => spec.name === "calculator")?.scope).toBe("runs:write");
    expect(specs.find((spec) => spec.name === "github")?.scope).toBe("tools:github");
  });

  it.each([
    ["not json", "not valid JSON"],
    [JSON.stringify([{ name: "calculator", url: "https://x.example/mcp" }]), "built-in"],
    [JSON.stringify([{ name: "a.b", url: "https://x.example/mcp" }]), "name"],
    [JSON.stringify([{ name: "x", url: "ftp://x.example/mcp" }]), "url"],
    [JSON.stringify([{ name: "x", url: "https://x.example/mcp", scope: "runs:write" }]), "scope"],
    [JSON.stringify([{ name: "x", url: "https://x.example/mcp" }, { name: "x", url: "https://y.example/mcp" }]), "duplicate"],
    [JSON.stringify([{ name: "x", url: "https://x.example/mcp", headers: { A: { secret: "MISSING" } } }]), "MISSING"],
  ])("refuses %s", (config, message) => {
    expect(() => readServerSpecs(envWith({ MCP_SERVERS: config }))).toThrow(ServerConfigError);
    expect(() => readServerSpecs(envWith({ MCP_SERVERS: config }))).toThrow(message);
  });
});

describe("executor configuration", () => {
  it("applies defaults and parses numbers and the allowlist", () => {
    const config = readConfig(envWith({ TOOL_TIMEOUT_MS: "2500", TOOL_ALLOWLIST: '{"acme":["calculator.*"]}' }));
    expect(config).toMatchObject({ toolTimeoutMs: 2500, maxCallsPerRun: 16, githubApiBase: "https://api.github.com", allowlist: { acme: ["calculator.*"] } });
    expect(() => readConfig(envWith({ TOOL_TIMEOUT_MS: "soon" }))).toThrow();
    expect(() => readConfig(envWith({ TOOL_ALLOWLIST: '{"acme":"calculator"}' }))).toThrow(/TOOL_ALLOWLIST/);
  });
});
