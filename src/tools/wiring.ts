/**
 * Wires the executor from its bindings: settings (parsed once, src/adapters/executor-settings.ts),
 * server specs, the registry (its discoveries kept per isolate), the cache, the MCP caller
 * (built-in servers in-process through the worker's own /mcp handler, remote ones over the
 * network), the per-run ledger and delivery to the run object.
 */
import { executorSettings, type ExecutorSettings } from "../adapters/executor-settings";
import { JsonLogger } from "../adapters/json-logger";
import { systemClock } from "../adapters/system";
import { objectForRun } from "../adapters/named-object";
import type { Clock, Logger } from "../engine/ports";
import { ResultCache } from "./cache";
import type { ToolsEnv } from "./env";
import type { ToolCaller } from "./execute";
import { callServerTool, type McpEndpoint } from "./mcp-client";
import { handleMcpHttp, TENANT_HEADER } from "./mcp-routes";
import { ToolRegistry, type ServerEntry } from "./registry";
import type { HandlerDeps } from "./request-handler";
import { deliverToRun } from "./run-delivery";
import { BUILTIN_SERVERS, serverSpecs, type ServerSpec } from "./server-specs";

/** Discoveries survive between requests of one isolate, per server configuration. */
const discoveries = new Map<string, Map<string, ServerEntry>>();

function discoveryCache(specs: readonly ServerSpec[]): Map<string, ServerEntry> {
  const key = JSON.stringify(specs.map((spec) => [spec.name, spec.url, spec.scope, spec.approval]));
  let entries = discoveries.get(key);
  if (!entries) {
    entries = new Map();
    discoveries.set(key, entries);
  }
  return entries;
}

export function endpointFor(env: ToolsEnv, settings: ExecutorSettings, server: ServerSpec, tenantId?: string): McpEndpoint {
  if (server.kind === "remote") return { url: server.url, headers: server.headers, fetch: (url, init) => fetch(url, init) };
  const headers: Record<string, string> = {};
  if (tenantId !== undefined) headers[TENANT_HEADER] = tenantId;
  if (settings.mcpServerToken !== undefined) headers.authorization = `Bearer ${settings.mcpServerToken}`;
  return { url: server.url, headers, fetch: (url, init) => handleMcpHttp(new Request(url, init), env, settings, { inProcess: true }) };
}

export interface Runtime extends HandlerDeps {
  registry: ToolRegistry;
}

/** The executor's settings and logger, once per bindings object; survived configuration problems are logged then. */
const loggers = new WeakMap<ToolsEnv, Logger>();

export function settingsOf(env: ToolsEnv): { settings: ExecutorSettings; logger: Logger } {
  const settings = executorSettings(env, BUILTIN_SERVERS);
  let logger = loggers.get(env);
  if (!logger) {
    logger = new JsonLogger(settings.logLevel, () => ({}), { worker: "run-engine-tools" });
    // A broken MCP_SERVERS does not take the built-in tools down with it: they run without the remote ones.
    for (const problem of settings.problems) logger.log("error", "tool.config_invalid", { error: problem });
    loggers.set(env, logger);
  }
  return { settings, logger };
}

export function createRuntime(env: ToolsEnv, clock: Clock = systemClock): Runtime {
  const { settings, logger } = settingsOf(env);
  const specs = serverSpecs(settings);
  const registry = new ToolRegistry(specs, (server) => endpointFor(env, settings, server), clock, discoveryCache(specs));
  const call: ToolCaller = (server, tenantId, tool, args, options) =>
    callServerTool(endpointFor(env, settings, server, tenantId), tool, args, options);
  return {
    settings,
    clock,
    registry,
    cache: new ResultCache(env.TOOL_CACHE, settings.cacheTtlS, clock),
    call,
    logger,
    ledger: (tenantId, runId) => objectForRun(env.CALL_LEDGER, tenantId, runId),
    deliver: (tenantId, runId, outcome) => deliverToRun(env.RUN_OBJECT, tenantId, runId, outcome),
  };
}
