/**
 * The `tools` project's global setup (Node): starts the fake GitHub API and the remote test MCP
 * server, and hands their addresses to the project's pool options and tests through
 * provide/inject.
 */
/// <reference path="../provided-context.d.ts" />
import type { TestProject } from "vitest/node";
import { startFakeGitHub } from "./fake-github.ts";
import { startFakeMcpServer } from "./fake-mcp-server.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const github = await startFakeGitHub();
  const mcp = await startFakeMcpServer();
  project.provide("githubApiBase", github.url);
  project.provide("remoteMcpBase", mcp.url);
  return async () => {
    await github.close();
    await mcp.close();
  };
}
