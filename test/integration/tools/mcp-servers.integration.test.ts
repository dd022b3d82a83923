/**
 * A real MCP client (src/tools/mcp-client.ts, the SDK's Client over Streamable HTTP) against each
 * real built-in server, served by the executor worker and reached over the TOOLS service binding.
 */
import { inject } from "vitest";
import { env as workerEnv } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callServerTool, listServerTools } from "../../../src/tools/mcp-client";
import { REQUEST_ID_META } from "../../../src/tools/protocol-meta";
import { MCP_SERVER_TOKEN } from "../../support/mcp-server-token";
import { builtinEndpoint, newTenant } from "./helpers";

const TIMEOUT = { timeoutMs: 5_000 };

describe("calculator server", () => {
  const calculator = builtinEndpoint("calculator");

  it("lists evaluate as a read-only tool with an input and an output schema", async () => {
    const tools = await listServerTools(calculator, 5_000);
    expect(tools.map((tool) => tool.name)).toEqual(["evaluate"]);
    expect(tools[0]?.annotations.readOnlyHint).toBe(true);
  });

  it("evaluates with precedence, power, parentheses, unary minus and decimals", async () => {
    const result = await callServerTool(calculator, "evaluate", { expression: "12 * (3 + 4) - 2^3 / -0.5" }, TIMEOUT);
    expect(result).toMatchObject({ isError: false, structured: { value: 100 }, text: "12 * (3 + 4) - 2^3 / -0.5 = 100" });
  });

  it("answers division by zero and malformed input as coded tool errors", async () => {
    const byZero = await callServerTool(calculator, "evaluate", { expression: "1 / (2 - 2)" }, TIMEOUT);
    expect(byZero).toMatchObject({ isError: true, text: "division by zero", error: { code: "division_by_zero" } });
    const malformed = await callServerTool(calculator, "evaluate", { expression: "2 + * 3" }, TIMEOUT);
    expect(malformed).toMatchObject({ isError: true, error: { code: "malformed_expression" } });
    expect(malformed.text).toContain("position 5");
  });

  it("rejects arguments that break its schema", async () => {
    const result = await callServerTool(calculator, "evaluate", { expression: 42 }, TIMEOUT);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/expression/);
  });

  it("is stateless: GET and DELETE on the MCP path are 405", async () => {
    for (const method of ["GET", "DELETE"]) {
      const response = await workerEnv.TOOLS.fetch("https://tools.test/mcp/calculator", { method, headers: { authorization: `Bearer ${MCP_SERVER_TOKEN}` } });
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
    }
  });
});

describe("notes server", () => {
  it("saves and lists notes per tenant, newest first", async () => {
    const ann = builtinEndpoint("notes", { "x-tenant-id": newTenant("ann") });
    const bob = builtinEndpoint("notes", { "x-tenant-id": newTenant("bob") });
    const saved = await callServerTool(ann, "save", { title: "milk", text: "buy milk" }, TIMEOUT);
    expect(saved).toMatchObject({ isError: false, structured: { title: "milk", text: "buy milk" } });
    await callServerTool(ann, "save", { text: "call the plumber\nabout the sink" }, TIMEOUT);

    const listed = await callServerTool(ann, "list", {}, TIMEOUT);
    const notes = (listed.structured as { notes: { title: string }[] }).notes;
    expect(notes.map((note) => note.title)).toEqual(["call the plumber", "milk"]);
    const other = await callServerTool(bob, "list", {}, TIMEOUT);
    expect(other.structured).toEqual({ notes: [] });
  });

  it("saves once per request id, however often the call is made", async () => {
    const notes = builtinEndpoint("notes", { "x-tenant-id": newTenant() });
    const meta = { [REQUEST_ID_META]: "tr_same" };
    const first = await callServerTool(notes, "save", { text: "once" }, { ...TIMEOUT, meta });
    const second = await callServerTool(notes, "save", { text: "once" }, { ...TIMEOUT, meta });
    expect(second.structured).toEqual(first.structured);
    const listed = await callServerTool(notes, "list", {}, TIMEOUT);
    expect((listed.structured as { notes: unknown[] }).notes).toHaveLength(1);
  });

  it("needs the tenant to touch notes, but not to list its tools", async () => {
    const anonymous = builtinEndpoint("notes");
    expect((await listServerTools(anonymous, 5_000)).map((tool) => tool.name).sort()).toEqual(["list", "save"]);
    const result = await callServerTool(anonymous, "list", {}, TIMEOUT);
    expect(result).toMatchObject({ isError: true });
    expect(result.text).toContain("x-tenant-id");
  });
});

describe("github server against a fake GitHub API", () => {
  const github = builtinEndpoint("github");
  const seen = async (): Promise<{ path: string; authorization?: string }[]> =>
    (await fetch(`${inject("githubApiBase")}/__seen`)).json();

  it("gets a repository, sending the configured token", async () => {
    const result = await callServerTool(github, "get_repo", { owner: "octo", repo: "engine" }, TIMEOUT);
    expect(result).toMatchObject({
      isError: false,
      structured: { full_name: "octo/engine", stars: 42, forks: 7, open_issues: 3, language: "TypeScript" },
    });
    const request = (await seen()).findLast((r) => r.path === "/repos/octo/engine");
    expect(request?.authorization).toBe("Bearer gh-test-token");
  });

  it("lists issues without pull requests, by state", async () => {
    const open = await callServerTool(github, "list_issues", { owner: "octo", repo: "engine" }, TIMEOUT);
    expect((open.structured as { issues: { number: number }[] }).issues.map((i) => i.number)).toEqual([3]);
    const all = await callServerTool(github, "list_issues", { owner: "octo", repo: "engine", state: "all" }, TIMEOUT);
    expect((all.structured as { issues: { number: number; author: string | null }[] }).issues).toMatchObject([
      { number: 3, author: "ann" },
      { number: 1, author: null },
    ]);
  });

  it("surfaces not found, rate limits and timeouts as coded errors", async () => {
    const missing = await callServerTool(github, "get_repo", { owner: "octo", repo: "nothing" }, TIMEOUT);
    expect(missing).toMatchObject({ isError: true, error: { code: "not_found", retryable: false } });

    const limited = await callServerTool(github, "get_repo", { owner: "limited", repo: "repo" }, TIMEOUT);
    expect(limited).toMatchObject({ isError: true, error: { code: "rate_limited", retryable: true } });
    expect(limited.text).toMatch(/rate limit exceeded; it resets at .* \(in \d+ s\)/);

    const started = Date.now();
    const slow = await callServerTool(github, "get_repo", { owner: "slow", repo: "repo" }, TIMEOUT);
    expect(slow).toMatchObject({ isError: true, error: { code: "upstream_timeout", retryable: true } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(Date.now() - started).toBeLessThan(4_500);
  });

  it("refuses owner or repo names that could reach another path", async () => {
    const result = await callServerTool(github, "get_repo", { owner: "octo", repo: "engine/../../x" }, TIMEOUT);
    expect(result.isError).toBe(true);
    expect((await seen()).filter((r) => !r.path.startsWith("/repos/") || r.path.endsWith("/x"))).toEqual([]);
  });
});


