/**
 * Wires the executor from its bindings: configuration, server specs, the registry (its discoveries
 * kept per isolate), the cache, the MCP caller (built-in servers in-process through the worker's own
 * /mcp handler, remote ones over the network), the per-run ledger and delivery to the run object.
 */
import { z } from "zod";
import { JsonLogger } from "../adapters/json-logger";
import { systemClock } from "../adapters/system";
import { runObjectName } from "../engine/ids";
import type { Clock, Logger } from "../engine/ports";
import type { DeliveryResult } from "../engine/tool-protocol";
import { ResultCache } from "./cache";
import { readConfig, type ExecutorConfig } from "./config";
import type { ToolsEnv } from "./env";
import type { ToolCaller } from "./execute";
import { callServerTool, type McpEndpoint } from "./mcp-client";
import { handleMcpHttp, TENANT_HEADER } from "./mcp-routes";
import { ToolRegistry, type ServerEntry } from "./registry";
import type { HandlerDeps } from "./request-handler";
import { readServerSpecs, ServerConfigError, type ServerSpec } from "./server-specs";

const DeliveryAnswer = z.object({ status: z.enum(["recorded", "duplicate", "late", "unknown"]) });

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

export function endpointFor(env: ToolsEnv, config: ExecutorConfig, server: ServerSpec, tenantId?: string): McpEndpoint {
  if (server.kind === "remote") return { url: server.url, headers: server.headers, fetch: (url, init) => fetch(url, init) };
  const headers: Record<string, string> = {};
  if (tenantId !== undefined) headers[TENANT_HEADER] = tenantId;
  if (config.mcpServerToken !== undefined) headers.authorization = `Bearer ${config.mcpServerToken}`;
  return { url: server.url, headers, fetch: (url, init) => handleMcpHttp(new Request(url, init), env, config, { inProcess: true }) };
}

export interface Runtime extends HandlerDeps {
  registry: ToolRegistry;
}

interface Settings {
  config: ExecutorConfig;
  specs: ServerSpec[];
  logger: Logger;
}

/** Parsed once per bindings object (the runtime hands the same `env` to an isolate's requests). */
const settingsByEnv = new WeakMap<ToolsEnv, Settings>();

function settingsFor(env: ToolsEnv): Settings {
  const known = settingsByEnv.get(env);
  if (known) return known;
  const logger = new JsonLogger(env.LOG_LEVEL ?? "info", () => ({}), { worker: "run-engine-tools" });
  let specs: ServerSpec[];
  try {
    specs = readServerSpecs(env);
  } catch (error) {
    if (!(error instanceof ServerConfigError)) throw error;
    // A broken MCP_SERVERS must not take the built-in tools down with it: run without the remote ones.
    logger.log("error", "tool.config_invalid", { error: error.message });
    specs = readServerSpecs({ ...env, MCP_SERVERS: "[]" });
  }
  const settings = { config: readConfig(env), specs, logger };
  settingsByEnv.set(env, settings);
  return settings;
}

export function createRuntime(env: ToolsEnv, clock: Clock = systemClock): Runtime {
  const { config, specs, logger } = settingsFor(env);
  const registry = new ToolRegistry(specs, (server) => endpointFor(env, config, server), clock, discoveryCache(specs));
  const call: ToolCaller = (server, tenantId, tool, args, options) =>
    callServerTool(endpointFor(env, config, server, tenantId), tool, args, options);
  return {
    config,
    clock,
    registry,
    cache: new ResultCache(env.TOOL_CACHE, config.cacheTtlS, clock),
    call,
    logger,
    ledger: (tenantId, runId) => env.CALL_LEDGER.getByName(runObjectName(tenantId, runId)),
    deliver: async (tenantId, runId, outcome): Promise<DeliveryResult> =>
      DeliveryAnswer.parse(await env.RUN_OBJECT.getByName(runObjectName(tenantId, runId)).deliverToolResult(outcome)),
  };
}
