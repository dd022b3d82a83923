/**
 * `GET /tools`: the tool descriptors the caller may use — the executor's catalogue for the caller's
 * tenant (its allowlist applied there), filtered by the caller's scopes with the shared policy.
 */
import { z } from "zod";
import { allowedTools } from "../../engine/tool-policy";
import { ToolDescriptor } from "../../engine/tool-protocol";
import { ServiceToolCatalog } from "../../adapters/service-tool-catalog";
import { route } from "../router";
import type { RouteDef } from "../router";

const ToolsResponse = z.object({ tools: z.array(ToolDescriptor) });

export const toolRoutes: RouteDef[] = [
  route(
    {
      method: "get",
      path: "/tools",
      operationId: "listTools",
      tags: ["tools"],
      summary: "List the tools the caller may use",
      scope: "runs:read",
      responses: { 200: { description: "Tool descriptors", schema: ToolsResponse } },
    },
    async (c, { principal }) => {
      const tools = await new ServiceToolCatalog(c.env.TOOLS).list(principal.tenant_id);
      return c.json({ tools: allowedTools(tools, principal.scopes) });
    },
  ),
];
