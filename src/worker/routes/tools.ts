/**
 * `GET /tools`: the tool descriptors the caller may use — the executor's catalogue for the caller's
 * tenant (its allowlist applied there), filtered by the caller's scopes with the shared policy.
 */
import { z } from "zod";
import { StepError } from "../../engine/errors";
import { allowedTools } from "../../engine/tool-policy";
import { ToolDescriptor } from "../../engine/tool-protocol";
import { ServiceToolCatalog } from "../../adapters/service-tool-catalog";
import { ApiError } from "../errors";
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
      responses: {
        200: { description: "Tool descriptors", schema: ToolsResponse },
        503: { description: "`unavailable`: the tool executor did not answer (see Retry-After)" },
      },
    },
    async (c, { principal }) => {
      const tools = await new ServiceToolCatalog(c.env.TOOLS)
        .list(principal.tenant_id)
        .catch((error: unknown) => {
          // The executor did not answer (down, or not started beside a `wrangler dev` of this worker alone).
          if (error instanceof StepError && error.code === "tool_executor_unreachable") {
            throw new ApiError("unavailable", error.message, undefined, { "retry-after": "5" });
          }
          throw error;
        });
      return c.json({ tools: allowedTools(tools, principal.scopes) });
    },
  ),
];
