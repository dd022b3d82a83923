/**
 * The in-memory twin of the ToolCatalog port for the engine's unit tests: the built-in tools of
 * CONTRACT.md as the executor's registry describes them (the real catalogue comes over the TOOLS
 * service binding).
 */
import type { ToolCatalog } from "../../src/engine/ports";
import { scopeForServer } from "../../src/engine/tool-policy";
import type { ToolDescriptor } from "../../src/engine/tool-protocol";

function tool(server: string, name: string, description: string, readOnly: boolean, properties: Record<string, unknown>, required: string[]): ToolDescriptor {
  return {
    name: `${server}.${name}`,
    server,
    tool: name,
    description,
    input_schema: { type: "object", properties, required, additionalProperties: false },
    annotations: { readOnlyHint: readOnly, destructiveHint: !readOnly },
    read_only: readOnly,
    scope: scopeForServer(server),
    approval: "auto",
  };
}

const BUILTIN: ToolDescriptor[] = [
  tool("calculator", "evaluate", "Evaluate an arithmetic expression", true, { expression: { type: "string" } }, ["expression"]),
  tool("notes", "save", "Save a note", false, { title: { type: "string" }, text: { type: "string" } }, ["text"]),
  tool("notes", "list", "List notes", true, {}, []),
  tool("github", "get_repo", "Get a GitHub repository", true, { owner: { type: "string" }, repo: { type: "string" } }, ["owner", "repo"]),
  tool("github", "list_issues", "List a repository's issues", true, { owner: { type: "string" }, repo: { type: "string" }, state: { type: "string" } }, ["owner", "repo"]),
];

export const builtinCatalog: ToolCatalog = { list: async () => BUILTIN };
