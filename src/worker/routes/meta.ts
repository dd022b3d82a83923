/** `GET /healthz` (liveness and a configuration summary, never secrets) and `GET /openapi.json`. */
import type { z } from "zod";
import { authSummary } from "../auth";
import { openApiDocument } from "../openapi";
import { HealthResponse, OpenApiDocumentShape } from "../response-schemas";
import { route } from "../router";
import type { RouteDef } from "../router";
import { apiSettings } from "../../adapters/api-settings";
import { GUARDRAILS_VERSION } from "../../engine/guardrails/verdict";

export function metaRoutes(all: () => RouteDef[]): RouteDef[] {
  return [
    route(
      {
        method: "get",
        path: "/healthz",
        operationId: "getHealth",
        tags: ["meta"],
        summary: "Liveness and a configuration summary",
        scope: null,
        responses: { 200: { description: "Alive, and how it is configured (never secrets)", schema: HealthResponse } },
      },
      (c) => {
        const settings = apiSettings(c.env);
        const health: z.input<typeof HealthResponse> = {
          status: "ok",
          auth: authSummary(c.req.url, c.env.API_KEYS),
          model: { provider: settings.model.provider },
          retrieval: { backend: c.env.RETRIEVAL_BACKEND || "embedded", embedder: c.env.EMBEDDER || "local" },
          limits: {
            max_tool_calls: settings.engine.defaults.maxToolCalls,
            max_wall_time_ms: settings.engine.defaults.maxWallTimeMs,
            tool_wait_ms: settings.engine.toolWaitMs,
            approval_ttl_ms: settings.engine.approvalTtlMs,
            rate_limit_runs_per_min: settings.admission.runsPerMinute,
            max_active_runs: settings.admission.maxActiveRuns,
          },
          guardrails: {
            rule_set: GUARDRAILS_VERSION,
            status: settings.engine.guardrails.error === null ? "ok" : "misconfigured",
            moderation: settings.moderation === null ? "off" : settings.engine.guardrails.moderation,
            injection: settings.engine.guardrails.policy.injection.sources,
            link_allowlist: settings.engine.guardrails.policy.output.link_allowlist.length,
          },
          ...(settings.problems.length > 0 ? { config_warnings: settings.problems } : {}),
          time: new Date().toISOString(),
        };
        return c.json(health);
      },
    ),
    route(
      {
        method: "get",
        path: "/openapi.json",
        operationId: "getOpenApiDocument",
        tags: ["meta"],
        summary: "This API's OpenAPI 3.1 description",
        scope: null,
        responses: { 200: { description: "The OpenAPI 3.1 document", schema: OpenApiDocumentShape } },
      },
      (c) => c.json(openApiDocument(all(), new URL(c.req.url).origin)),
    ),
  ];
}
