/**
 * The api worker's Hono app: the routes, the run inspector's files (inspector-files.ts), one error
 * handler that gives every failure the contract's shape, a JSON 404 for unknown routes and a 405
 * for a known path with the wrong method.
 */
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { JsonLogger } from "../adapters/json-logger";
import { apiSettings } from "../adapters/api-settings";
import { cors } from "./cors";
import { ApiError, errorResponse, handleError } from "./errors";
import { mountRoutes, pathPattern } from "./router";
import type { AppEnv, RouteDef } from "./router";
import { INSPECTOR_METHODS, isInspectorPath, mountInspectorFiles } from "./inspector-files";
import { feedbackRoutes } from "./routes/feedback";
import { knowledgeRoutes } from "./routes/knowledge";
import { metaRoutes } from "./routes/meta";
import { runHistoryRoutes } from "./routes/run-history";
import { runRoutes } from "./routes/runs";
import { threadRoutes } from "./routes/threads";
import { toolRoutes } from "./routes/tools";

export function allRoutes(): RouteDef[] {
  return ROUTES;
}

const ROUTES: RouteDef[] = [
  ...runRoutes,
  ...runHistoryRoutes,
  ...threadRoutes,
  ...feedbackRoutes,
  ...knowledgeRoutes,
  ...toolRoutes,
  ...metaRoutes(allRoutes),
];

const PATTERNS = ROUTES.map(({ spec }) => ({ pattern: pathPattern(spec.path), method: spec.method.toUpperCase() }));

/**
 * One JSON line per request: method, path, status, duration, and who asked (for filtering by tenant
 * or run). A request that succeeded logs at `debug` (the platform's invocation log already records
 * it, and every line is billed); one refused (4xx) at `info`, one that failed (5xx) at `error`.
 */
function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    await next();
    const level = c.res.status >= 500 ? "error" : c.res.status >= 400 ? "info" : "debug";
    const logger = new JsonLogger(apiSettings(c.env).logLevel);
    if (!logger.enabled(level)) return;
    const path = new URL(c.req.url).pathname;
    const principal = c.get("principal") as AppEnv["Variables"]["principal"] | undefined;
    logger.log(level, "request", {
      method: c.req.method,
      path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      tenant_id: principal?.tenant_id,
      run_id: /^\/runs\/(run_[0-9A-Z]{26})/.exec(path)?.[1],
    });
  };
}

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestLog());
  // Before every route, the 404 and 405 answers and the error handler, so all of them carry CORS.
  app.use(cors());
  mountRoutes(app, ROUTES);
  mountInspectorFiles(app);
  // The built-in MCP servers live in the tool-executor worker; under `wrangler dev` only this worker
  // has a port, so it forwards /mcp/* there unchanged (the executor checks MCP_SERVER_TOKEN itself).
  app.all("/mcp/*", (c) => c.env.TOOLS.fetch(c.req.raw));
  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const allowed = PATTERNS.filter((p) => p.pattern.test(path)).map((p) => p.method);
    if (isInspectorPath(path)) allowed.push(...INSPECTOR_METHODS);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return errorResponse(
        c,
        new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${path}; use ${allowed.join(", ")}`, undefined, {
          allow: allowed.join(", "),
        }),
      );
    }
    return errorResponse(c, new ApiError("not_found", `no route for ${c.req.method} ${path}`));
  });
  app.onError(handleError);
  return app;
}
