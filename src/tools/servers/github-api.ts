/**
 * A small read-only GitHub REST client for the github MCP server: timeouts, an optional token, and
 * failures classified by status and headers (rate limit, not found, bad token, upstream trouble),
 * with response bodies parsed by zod at the trust boundary.
 *
 * Every URL is `{apiBase}/repos/{owner}/{repo}[/...]`: owner and repo must be GitHub names (the
 * schemas below, which the tools' input schemas use too), every segment is percent-encoded, and
 * the URL that results is checked to still lie under that prefix, so no argument can reach
 * another path or host (`..`, `%2e%2e`, `/`, `?`, `#`, `@`, `\`, an absolute URL).
 */
import { z } from "zod";

export interface GitHubConfig {
  apiBase: string;
  token: string | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
}

/**
 * A user or organization login: ASCII letters, digits and hyphens, not beginning with a hyphen, at
 * most 39 characters. (New logins also may not end with or double a hyphen; older ones can, and
 * are still readable, so those two rules are not enforced.)
 */
export const GitHubOwner = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, "a GitHub login: letters, digits and -, not starting with -, at most 39 characters");
/** A repository name: ASCII letters, digits, `.`, `-` and `_`, at most 100 characters; `.` and `..` are reserved. */
export const GitHubRepo = z
  .string()
  .regex(/^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/, "a GitHub repository name: letters, digits, ., - and _, at most 100 characters, not . or ..");

export class GitHubError extends Error {
  readonly code: "rate_limited" | "not_found" | "unauthorized" | "upstream_timeout" | "upstream_error" | "upstream_invalid" | "invalid_argument";
  readonly retryable: boolean;
  constructor(code: GitHubError["code"], message: string, retryable: boolean) {
    super(message);
    this.name = "GitHubError";
    this.code = code;
    this.retryable = retryable;
  }
}

export const Repo = z.object({
  full_name: z.string(),
  description: z.string().nullable(),
  html_url: z.string(),
  stargazers_count: z.number(),
  forks_count: z.number(),
  open_issues_count: z.number(),
  default_branch: z.string(),
  language: z.string().nullable(),
  archived: z.boolean(),
  updated_at: z.string(),
});
export type Repo = z.infer<typeof Repo>;

export const Issue = z.object({
  number: z.number(),
  title: z.string(),
  state: z.string(),
  html_url: z.string(),
  comments: z.number(),
  created_at: z.string(),
  user: z.object({ login: z.string() }).nullable(),
  pull_request: z.unknown().optional(),
});
export type Issue = z.infer<typeof Issue>;

function rateLimitError(response: Response, nowMs: number): GitHubError {
  const retryAfter = Number(response.headers.get("retry-after"));
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  let when = "later";
  if (Number.isFinite(retryAfter) && retryAfter > 0) when = `in ${retryAfter} s`;
  else if (Number.isFinite(reset) && reset > 0) {
    when = `at ${new Date(reset * 1000).toISOString()} (in ${Math.max(0, Math.ceil(reset - nowMs / 1000))} s)`;
  }
  return new GitHubError("rate_limited", `GitHub API rate limit exceeded; it resets ${when}`, true);
}

function isRateLimited(response: Response): boolean {
  if (response.status === 429) return true;
  return response.status === 403 && (response.headers.get("x-ratelimit-remaining") === "0" || response.headers.has("retry-after"));
}

/**
 * `{apiBase}/repos/{owner}/{repo}/{...rest}?{query}`, every segment percent-encoded. Throws
 * `invalid_argument` for a name GitHub would not have, and for any URL that does not stay under
 * `{apiBase}/repos/{owner}/{repo}` (a check that holds whatever the validation above let through).
 */
export function repoUrl(apiBase: string, owner: string, repo: string, rest: readonly string[] = [], query?: URLSearchParams): URL {
  if (!GitHubOwner.safeParse(owner).success) throw new GitHubError("invalid_argument", "owner is not a GitHub login", false);
  if (!GitHubRepo.safeParse(repo).success) throw new GitHubError("invalid_argument", "repo is not a GitHub repository name", false);
  const base = new URL(apiBase);
  const prefix = `${base.pathname.replace(/\/+$/, "")}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  const url = new URL(base.origin);
  url.pathname = prefix + rest.map((segment) => `/${encodeURIComponent(segment)}`).join("");
  if (query !== undefined) url.search = query.toString();
  const under = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
  if (url.origin !== base.origin || !under || rest.some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw new GitHubError("invalid_argument", "the request would leave the repository's API path", false);
  }
  return url;
}

/** GETs one GitHub API URL (from `repoUrl`) and parses the JSON body with `schema`. */
export async function githubGet<T>(config: GitHubConfig, url: URL, schema: z.ZodType<T>, what: string): Promise<T> {
  const headers: Record<string, string> = {
    accept: "application/vnd.github+json",
    "user-agent": "run-engine-tools",
    "x-github-api-version": "2022-11-28",
  };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  let response: Response;
  try {
    response = await config.fetch(url, {
      headers,
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (error) {
    if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
      throw new GitHubError("upstream_timeout", `GitHub did not answer within ${config.timeoutMs} ms`, true);
    }
    throw new GitHubError("upstream_error", `GitHub could not be reached: ${error instanceof Error ? error.message : String(error)}`, true);
  }
  if (isRateLimited(response)) throw rateLimitError(response, Date.now());
  if (response.status === 404) throw new GitHubError("not_found", `${what} was not found on GitHub`, false);
  if (response.status === 401) throw new GitHubError("unauthorized", "GitHub rejected the configured token (401)", false);
  if (!response.ok) {
    throw new GitHubError("upstream_error", `GitHub answered ${response.status} for ${what}`, response.status >= 500);
  }
  const parsed = schema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new GitHubError("upstream_invalid", `GitHub sent an unexpected body for ${what}`, false);
  return parsed.data;
}
