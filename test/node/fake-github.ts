/**
 * A fake GitHub REST API for the tests, on 127.0.0.1: a few repositories and issues, a repository
 * whose requests hang, one that is rate limited, and a log of the requests it saw (so tests can
 * check the token and the paths sent), and `/__delay?ms=` that answers after a while. Like the real API, it also answers paths outside
 * `/repos/...` (`/user`, `/issues`: the token owner's own data), with bodies that a tool would
 * happily parse, each marked PRIVATE: a tool that can be steered there leaks them.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PRIVATE_MARKER } from "./fake-github-marker.ts";

const REPOS: Record<string, Record<string, unknown>> = {
  "octo/engine": {
    full_name: "octo/engine",
    description: "An engine for tests",
    html_url: "https://github.com/octo/engine",
    stargazers_count: 42,
    forks_count: 7,
    open_issues_count: 3,
    default_branch: "main",
    language: "TypeScript",
    archived: false,
    updated_at: "2026-01-02T03:04:05Z",
  },
};

const ISSUES = [
  { number: 3, title: "Third issue", state: "open", html_url: "https://github.com/octo/engine/issues/3", comments: 1, created_at: "2026-01-03T00:00:00Z", user: { login: "ann" } },
  { number: 2, title: "A pull request", state: "open", html_url: "https://github.com/octo/engine/pull/2", comments: 0, created_at: "2026-01-02T00:00:00Z", user: { login: "bob" }, pull_request: { url: "x" } },
  { number: 1, title: "First issue", state: "closed", html_url: "https://github.com/octo/engine/issues/1", comments: 4, created_at: "2026-01-01T00:00:00Z", user: null },
];

/** What the token owner's private endpoints answer: shaped like a repository and like an issue list. */
const PRIVATE_REPO = { ...REPOS["octo/engine"], full_name: `${PRIVATE_MARKER}/secret`, description: PRIVATE_MARKER };
const PRIVATE_ISSUES = [{ ...ISSUES[0], title: PRIVATE_MARKER }];

export interface SeenRequest {
  /** The request target exactly as it arrived (not normalized), e.g. `/repos/octo/engine`. */
  path: string;
  authorization: string | undefined;
}

export async function startFakeGitHub(): Promise<{ url: string; seen: SeenRequest[]; close: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/__seen") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
      return;
    }
    if (url.pathname === "/__delay") {
      // Answers after ?ms= milliseconds: a wait made of I/O, for code where timers are unreliable.
      setTimeout(() => res.writeHead(204).end(), Number(url.searchParams.get("ms") ?? "0"));
      return;
    }
    seen.push({ path: req.url ?? "", authorization: req.headers.authorization });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
    if (!url.pathname.startsWith("/repos/")) return json(200, url.pathname.endsWith("/issues") ? PRIVATE_ISSUES : PRIVATE_REPO);
    const match = /^\/repos\/([^/]+)\/([^/]+)(\/issues)?$/.exec(url.pathname);
    if (!match) return json(404, { message: "Not Found" });
    const [, owner, repo, issues] = match;
    const name = `${owner}/${repo}`;
    if (name === "slow/repo") return; // never answers: the caller's timeout must end it
    if (name === "limited/repo") {
      const reset = String(Math.floor(Date.now() / 1000) + 120);
      return json(403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset });
    }
    const found = REPOS[name];
    if (!found) return json(404, { message: "Not Found" });
    if (!issues) return json(200, found);
    const state = url.searchParams.get("state") ?? "open";
    return json(200, ISSUES.filter((issue) => state === "all" || issue.state === state));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
