/**
 * A small read-only GitHub REST client for the github MCP server: timeouts, an optional token, and
 * failures classified by status and headers (rate limit, not found, bad token, upstream trouble),
 * with response bodies parsed by zod at the trust boundary.
 */
import { z } from "zod";

export interface GitHubConfig {
  apiBase: string;
  token: string | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
}

export class GitHubError extends Error {
  readonly code: "rate_limited" | "not_found" | "unauthorized" | "upstream_timeout" | "upstream_error" | "upstream_invalid";
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

/** GETs one GitHub API path and parses the JSON body with `schema`. */
export async function githubGet<T>(config: GitHubConfig, path: string, schema: z.ZodType<T>, what: string): Promise<T> {
  const headers: Record<string, string> = {
    accept: "application/vnd.github+json",
    "user-agent": "run-engine-tools",
    "x-github-api-version": "2022-11-28",
  };
  if (config.token) headers.authorization = `Bearer ${config.token}`;
  let response: Response;
  try {
    response = await config.fetch(`${config.apiBase.replace(/\/+$/, "")}${path}`, {
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
