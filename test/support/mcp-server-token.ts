/** The bearer token of the executor's own /mcp/* routes in the `tools` project (Node config and workerd tests). */
export const MCP_SERVER_TOKEN = "test-mcp-server-token";
