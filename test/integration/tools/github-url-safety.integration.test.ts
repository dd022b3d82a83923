/**
 * Tool arguments never steer a request off its path. The github tools build
 * `{GITHUB_API_BASE}/repos/{owner}/{repo}...` from their arguments; the fake GitHub API answers
 * every other path (`/user`, `/issues`: the token owner's own data) with a PRIVATE body that the
 * tools would parse. Hostile owner and repo names (traversal, encoded and double-encoded traversal,
 * absolute URLs, host-changing input, unicode look-alikes, whitespace and control characters) must
 * end as a denied (schema) or isError outcome, never as `completed`, and no request may leave for
 * a path outside `/repos/<owner>/<repo>`.
 */
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import type { ToolOutcome } from "../../../src/engine/tool-protocol";
import { callServerTool } from "../../../src/tools/mcp-client";
import { PRIVATE_MARKER } from "../../node/fake-github-marker";
import { builtinEndpoint, run } from "./helpers";

const GITHUB = ["runs:write", "tools:github"];

/** Names that must never reach a URL, each as owner and as repo. */
const HOSTILE = [
  // traversal
  "..",
  ".",
  "",
  "../..",
  "engine/../../x",
  "..%2f..",
  // encoded and double-encoded traversal and slashes
  "%2e%2e",
  "%2E%2E",
  ".%2e",
  "%2e.",
  "%252e%252e",
  "%2f",
  "%2F",
  "%252f",
  "a%2fb",
  // absolute URLs and host-changing input
  "https://evil.example/x",
  "http:",
  "//evil.example",
  "@evil.example",
  "octo@evil.example",
  "evil.example:443",
  "\\\\evil.example",
  "..\\..",
  "a\\b",
  // unicode dots and slashes (fullwidth full stop, ideographic full stop, fullwidth solidus, division
  // slash, fraction slash, big solidus) and a zero-width space
  "\uFF0E\uFF0E",
  "\u3002\u3002",
  "\uFF0F",
  "\u2215",
  "\u2044",
  "\u29F8",
  "oct\u200Bo",
  // query, fragment, whitespace and control characters
  "a?b",
  "?",
  "a#b",
  "#",
  "a b",
  " octo",
  "octo\t",
  "octo\n",
  "octo\r\nX-Evil: 1",
  "\u0000",
  "octo\u007F",
  // too long: GitHub's limits are 39 characters for an owner, 100 for a repository
  "o".repeat(40),
  "r".repeat(101),
  "-octo",
];

/** Names wrong only in one place: a login is at most 39 characters and starts with a letter or digit; a repository name may be 100. */
const OWNER_ONLY = ["o".repeat(40), "-octo"];
const REPO_ONLY = ["r".repeat(101)];

/** The arguments each github tool gets: the hostile name as owner and as repo. */
function attacks(tool: "get_repo" | "list_issues"): { tool: string; args: Record<string, unknown> }[] {
  const out: { tool: string; args: Record<string, unknown> }[] = [
    // The two requests of the report: GET {base}/user and GET {base}/issues.
    { tool, args: { owner: "..", repo: "user" } },
    { tool, args: { owner: "..", repo: ".." } },
  ];
  for (const name of HOSTILE) {
    if (!REPO_ONLY.includes(name)) out.push({ tool, args: { owner: name, repo: "engine" } });
    if (!OWNER_ONLY.includes(name)) out.push({ tool, args: { owner: "octo", repo: name } });
  }
  return out;
}

const ALL = [...attacks("get_repo"), ...attacks("list_issues")];

/** Every request the fake GitHub API has seen (from every test file: they all use valid names). */
async function seenPaths(): Promise<string[]> {
  const seen: { path: string }[] = await (await fetch(`${inject("githubApiBase")}/__seen`)).json();
  return seen.map((request) => request.path);
}

/** `/repos/<owner>/<repo>` or its `/issues`, with GitHub's own name rules, and nothing else. */
const ON_PATH = /^\/repos\/[A-Za-z0-9][A-Za-z0-9-]{0,38}\/(?!\.\.?(?:[/?]|$))[A-Za-z0-9._-]{1,100}(?:\/issues)?(?:\?[A-Za-z0-9=&_-]*)?$/;

async function expectNoRequestOffPath(): Promise<void> {
  const off = (await seenPaths()).filter((path) => !ON_PATH.test(path));
  expect(off, "requests that left for another path").toEqual([]);
}

async function inBatches<T, R>(items: T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(each))));
  return out;
}

describe("github tool arguments cannot steer a request off /repos/{owner}/{repo}", () => {
  it("the executor denies every hostile owner or repo by the tool's schema, before any request", async () => {
    const outcomes = await inBatches(ALL, 30, async (attack) => ({
      attack,
      outcome: (await run({ tool: `github.${attack.tool}`, args: attack.args, scopes: GITHUB }, 20_000)).outcome,
    }));
    const notDenied = outcomes.filter(({ outcome }) => outcome.status !== "denied" || !outcome.reason.startsWith("schema: "));
    expect(notDenied, "attacks that were not denied by the schema").toEqual([]);
    expect(JSON.stringify(outcomes)).not.toContain(PRIVATE_MARKER);
    await expectNoRequestOffPath();
  }, 60_000);

  it("the github server itself refuses them as isError, for a client that skips the executor", async () => {
    const github = builtinEndpoint("github");
    const results = await inBatches(ALL, 20, async (attack) => ({
      attack,
      result: await callServerTool(github, attack.tool, attack.args, { timeoutMs: 5_000 }),
    }));
    expect(results.filter(({ result }) => !result.isError)).toEqual([]);
    expect(JSON.stringify(results)).not.toContain(PRIVATE_MARKER);
    await expectNoRequestOffPath();
  }, 60_000);

  it("still serves real names with dots, dashes and underscores, each segment as one path segment", async () => {
    const tried: { args: Record<string, unknown>; outcome: ToolOutcome }[] = [];
    for (const args of [
      { owner: "octo", repo: ".github" },
      { owner: "octo", repo: "a..b" },
      { owner: "Octo-Cat9", repo: "my_repo-1.0.git" },
      { owner: "o".repeat(39), repo: "r".repeat(100) },
    ]) {
      tried.push({ args, outcome: (await run({ tool: "github.get_repo", args, scopes: GITHUB })).outcome });
    }
    // The fake knows none of them: GitHub's own 404, after a request on the right path.
    for (const { outcome } of tried) expect(outcome).toMatchObject({ status: "failed", error: { code: "not_found" } });
    const paths = await seenPaths();
    expect(paths).toContain("/repos/octo/.github");
    expect(paths).toContain("/repos/octo/a..b");
    expect(paths).toContain("/repos/Octo-Cat9/my_repo-1.0.git");
    const { outcome } = await run({ tool: "github.list_issues", args: { owner: "octo", repo: "engine", state: "all" }, scopes: GITHUB });
    expect(outcome.status).toBe("completed");
    expect(await seenPaths()).toContain("/repos/octo/engine/issues?state=all&per_page=20&sort=created&direction=desc");
  });
});
