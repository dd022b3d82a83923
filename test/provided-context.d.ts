// Values the Node-side `globalSetup` hands to tests in the Workers pool (`inject(...)`).
declare module "vitest" {
  export interface ProvidedContext {
    /** Origin of the fake OpenAI-compatible server, e.g. `http://127.0.0.1:43117`. */
    fakeOpenAIUrl: string;
    /** Origin of the fake GitHub REST API (test/node/fake-github.ts; `tools` project). */
    githubApiBase: string;
    /** Origin of the remote test MCP server (test/node/fake-mcp-server.ts; `tools` project). */
    remoteMcpBase: string;
  }
}
export {};
