/** The executor's settings: one zod schema over its variables and secrets (src/adapters/executor-settings.ts). */
import { describe, expect, it } from "vitest";
import { executorSettings, parseExecutorSettings, SettingsError } from "../../../src/adapters/executor-settings";
import { BUILTIN_SERVERS, serverSpecs } from "../../../src/tools/server-specs";

const parse = (vars: Record<string, string>) => parseExecutorSettings(vars, BUILTIN_SERVERS);

describe("MCP_SERVERS", () => {
  it("registers a remote server by configuration, with headers from secrets", () => {
    const settings = parse({
      MCP_SERVERS: JSON.stringify([
        { name: "docs", url: "https://mcp.example.com/mcp", headers: { Authorization: { secret: "DOCS_TOKEN", prefix: "Bearer " }, "X-Team": "a" }, approval: "always" },
      ]),
      DOCS_TOKEN: "s3cret",
    });
    expect(settings.problems).toEqual([]);
    const specs = serverSpecs(settings);
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
  ])("leaves the remote servers out of %s, and says why", (config, message) => {
    const settings = parse({ MCP_SERVERS: config });
    expect(settings.remoteServers).toEqual([]);
    expect(settings.problems).toHaveLength(1);
    expect(settings.problems[0]).toContain(message);
    expect(serverSpecs(settings).map((spec) => spec.name)).toEqual(["calculator", "notes", "github"]);
  });
});

describe("executor settings", () => {
  it("applies defaults, parses numbers and the allowlist, and treats an empty value as unset", () => {
    const settings = parse({ TOOL_TIMEOUT_MS: "2500", TOOL_ALLOWLIST: '{"acme":["calculator.*"]}', GITHUB_TOKEN: "" });
    expect(settings).toMatchObject({
      logLevel: "info",
      toolTimeoutMs: 2500,
      maxCallsPerRun: 16,
      githubApiBase: "https://api.github.com",
      githubToken: undefined,
      allowlist: { acme: ["calculator.*"] },
      redeliveryBaseMs: 2_000,
      redeliveryMaxMs: 60_000,
    });
  });

  it.each([
    [{ TOOL_TIMEOUT_MS: "soon" }, "TOOL_TIMEOUT_MS"],
    [{ MAX_CALLS_PER_RUN: "0" }, "MAX_CALLS_PER_RUN"],
    [{ TOOL_ALLOWLIST: '{"acme":"calculator"}' }, "TOOL_ALLOWLIST"],
    [{ TOOL_ALLOWLIST: "{" }, "TOOL_ALLOWLIST"],
    [{ GITHUB_API_BASE: "file:///etc" }, "GITHUB_API_BASE"],
  ])("fails loudly on %j", (vars, name) => {
    expect(() => parse(vars)).toThrow(SettingsError);
    expect(() => parse(vars)).toThrow(name);
  });

  it("is parsed once per bindings object", () => {
    const env = { TOOL_TIMEOUT_MS: "1234" };
    const first = executorSettings(env, BUILTIN_SERVERS);
    env.TOOL_TIMEOUT_MS = "999";
    expect(executorSettings(env, BUILTIN_SERVERS)).toBe(first);
    expect(executorSettings({ ...env }, BUILTIN_SERVERS).toolTimeoutMs).toBe(999);
  });
});
