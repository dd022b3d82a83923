/**
 * The calculator MCP server: one read-only tool, `evaluate`, over the safe expression parser.
 * Errors (division by zero, malformed input) come back as in-band tool errors with a code.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { ExpressionError, MAX_EXPRESSION_LENGTH, evaluateExpression } from "./expression";
import { SERVER_OPTIONS, toolError } from "./http";

export function createCalculatorServer(): McpServer {
  const server = new McpServer({ name: "calculator", version: "1.0.0" }, SERVER_OPTIONS);
  server.registerTool(
    "evaluate",
    {
      title: "Evaluate arithmetic",
      description:
        "Evaluates an arithmetic expression with + - * / ^ (power), parentheses, unary minus and decimals, e.g. 12 * (3 + 4).",
      inputSchema: { expression: z.string().min(1).max(MAX_EXPRESSION_LENGTH).describe("the expression to evaluate") },
      outputSchema: { expression: z.string(), value: z.number() },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ expression }) => {
      try {
        const value = evaluateExpression(expression);
        return { content: [{ type: "text", text: `${expression.trim()} = ${value}` }], structuredContent: { expression, value } };
      } catch (error) {
        if (error instanceof ExpressionError) return toolError(error.code, error.message);
        throw error;
      }
    },
  );
  return server;
}
