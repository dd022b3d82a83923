/**
 * Vitest global setup (Node): starts the fake GitHub API and the remote test MCP server, and hands
 * their addresses to the pool options and the tests through provide/inject.
 */
import type { TestProject } from "vitest/node";
import { startFakeGitHub } from "./fake-github.ts";
import { startFakeMcpServer } from "./fake-mcp-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    githubApiBase: string;
    remoteMcpBase: string;
  }
}

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
