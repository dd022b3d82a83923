/**
 * The github MCP server: read-only `get_repo` and `list_issues` over the GitHub REST API at
 * `GITHUB_API_BASE`. Upstream failures come back as in-band tool errors whose code says what
 * happened (`rate_limited` with when it resets, `not_found`, `upstream_timeout`, ...).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { GitHubError, GitHubOwner, GitHubRepo, Issue, Repo, githubGet, repoUrl, type GitHubConfig } from "./github-api";
import { SERVER_OPTIONS, toolError } from "./http";

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

const RepoShape = {
  full_name: z.string(),
  description: z.string().nullable(),
  url: z.string(),
  stars: z.number(),
  forks: z.number(),
  open_issues: z.number(),
  default_branch: z.string(),
  language: z.string().nullable(),
  archived: z.boolean(),
  updated_at: z.string(),
};
const IssueShape = {
  number: z.number(),
  title: z.string(),
  state: z.string(),
  author: z.string().nullable(),
  url: z.string(),
  comments: z.number(),
  created_at: z.string(),
};

function failure(error: unknown) {
  if (error instanceof GitHubError) return toolError(error.code, error.message, error.retryable);
  throw error;
}

export function createGitHubServer(config: GitHubConfig): McpServer {
  const server = new McpServer({ name: "github", version: "1.0.0" }, SERVER_OPTIONS);
  server.registerTool(
    "get_repo",
    {
      title: "Get a GitHub repository",
      description: "Describes a public GitHub repository: description, stars, forks, open issues, language.",
      inputSchema: { owner: GitHubOwner, repo: GitHubRepo },
      outputSchema: RepoShape,
      annotations: READ_ONLY,
    },
    async ({ owner, repo }) => {
      try {
        const r: Repo = await githubGet(config, repoUrl(config.apiBase, owner, repo), Repo, `repository ${owner}/${repo}`);
        const out = {
          full_name: r.full_name,
          description: r.description,
          url: r.html_url,
          stars: r.stargazers_count,
          forks: r.forks_count,
          open_issues: r.open_issues_count,
          default_branch: r.default_branch,
          language: r.language,
          archived: r.archived,
          updated_at: r.updated_at,
        };
        const text = `${out.full_name}: ${out.description ?? "(no description)"}; ${out.stars} stars, ${out.forks} forks, ${out.open_issues} open issues.`;
        return { content: [{ type: "text", text }], structuredContent: out };
      } catch (error) {
        return failure(error);
      }
    },
  );
  server.registerTool(
    "list_issues",
    {
      title: "List GitHub issues",
      description: "Lists a repository's issues (not pull requests), newest first.",
      inputSchema: {
        owner: GitHubOwner,
        repo: GitHubRepo,
        state: z.enum(["open", "closed", "all"]).optional().describe("default open"),
        limit: z.number().int().min(1).max(50).optional().describe("default 20"),
      },
      outputSchema: { issues: z.array(z.object(IssueShape)) },
      annotations: READ_ONLY,
    },
    async ({ owner, repo, state, limit }) => {
      try {
        const query = new URLSearchParams({ state: state ?? "open", per_page: String(limit ?? 20), sort: "created", direction: "desc" });
        const url = repoUrl(config.apiBase, owner, repo, ["issues"], query);
        const raw = await githubGet(config, url, z.array(Issue), `issues of ${owner}/${repo}`);
        const issues = raw
          .filter((issue: Issue) => issue.pull_request === undefined)
          .map((issue: Issue) => ({
            number: issue.number,
            title: issue.title,
            state: issue.state,
            author: issue.user?.login ?? null,
            url: issue.html_url,
            comments: issue.comments,
            created_at: issue.created_at,
          }));
        const text = issues.length === 0 ? "No issues." : issues.map((i) => `#${i.number} ${i.title} (${i.state})`).join("\n");
        return { content: [{ type: "text", text }], structuredContent: { issues } };
      } catch (error) {
        return failure(error);
      }
    },
  );
  return server;
}
