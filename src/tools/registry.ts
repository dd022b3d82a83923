/**
 * The tool registry: discovers each configured server's tools with `tools/list` and keeps their
 * descriptors (qualified name, description, input schema, annotations, read-only, scope, approval
 * policy). Discovery results are kept per isolate for a while; a server that cannot be reached is
 * reported as unavailable (and asked again soon), never silently dropped into "unknown tool".
 */
import type { ErrorInfo } from "../engine/events";
import type { Clock } from "../engine/ports";
import { ToolDescriptor } from "../engine/tool-protocol";
import { toolAllowed } from "./firewall";
import { listServerTools, McpCallError, type DiscoveredTool, type McpEndpoint } from "./mcp-client";
import type { ServerSpec } from "./server-specs";

export type EndpointFor = (server: ServerSpec) => McpEndpoint;

/** A discovered tool: its descriptor, and what the executor alone needs to know of it. */
export interface RegisteredTool {
  descriptor: ToolDescriptor;
  /** It acts at most once per request id (DEDUPES_META), so an attempt that died mid-call may be repeated. */
  dedupesRequestId: boolean;
}

export type ServerEntry = { ok: true; tools: RegisteredTool[]; expiresAt: number } | { ok: false; error: ErrorInfo; expiresAt: number };

export type ToolLookup =
  | { kind: "found"; descriptor: ToolDescriptor; server: ServerSpec; dedupesRequestId: boolean }
  | { kind: "unknown" }
  | { kind: "unavailable"; server: string; error: ErrorInfo };

export interface RegistryOptions {
  /** How long a successful discovery is trusted. */
  ttlMs: number;
  /** How long a failed discovery is remembered before the server is asked again. */
  failureTtlMs: number;
  discoveryTimeoutMs: number;
}

export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = { ttlMs: 60_000, failureTtlMs: 5_000, discoveryTimeoutMs: 5_000 };

export function toDescriptor(server: ServerSpec, tool: DiscoveredTool): ToolDescriptor {
  return ToolDescriptor.parse({
    name: `${server.name}.${tool.name}`,
    server: server.name,
    tool: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema,
    annotations: tool.annotations,
    read_only: tool.annotations.readOnlyHint === true,
    scope: server.scope,
    approval: server.approval,
  });
}

/**
 * A registry is cheap and made per request (its endpoints may close over the request's bindings);
 * what it discovered lives in `entries`, which the caller keeps per isolate.
 */
export class ToolRegistry {
  constructor(
    private readonly servers: readonly ServerSpec[],
    private readonly endpointFor: EndpointFor,
    private readonly clock: Clock,
    private readonly entries: Map<string, ServerEntry> = new Map(),
    private readonly options: RegistryOptions = DEFAULT_REGISTRY_OPTIONS,
  ) {}

  /** Every tool of every reachable server, and the servers that could not be asked. */
  async discover(): Promise<{ tools: ToolDescriptor[]; unavailable: Record<string, ErrorInfo> }> {
    const entries = await Promise.all(this.servers.map(async (server) => [server.name, await this.entry(server)] as const));
    const tools: ToolDescriptor[] = [];
    const unavailable: Record<string, ErrorInfo> = {};
    for (const [name, entry] of entries) {
      if (entry.ok) tools.push(...entry.tools.map((tool) => tool.descriptor));
      else unavailable[name] = entry.error;
    }
    tools.sort((a, b) => a.name.localeCompare(b.name));
    return { tools, unavailable };
  }

  /** The tools a tenant may see (its allowlist applied), whatever the caller's scopes. */
  async list(tenantId: string, allowlist: Record<string, string[]>): Promise<ToolDescriptor[]> {
    const { tools } = await this.discover();
    return tools.filter((tool) => toolAllowed(allowlist, tenantId, tool.name));
  }

  async find(qualified: string): Promise<ToolLookup> {
    const dot = qualified.indexOf(".");
    const server = this.servers.find((spec) => spec.name === qualified.slice(0, Math.max(dot, 0)));
    if (!server) return { kind: "unknown" };
    const entry = await this.entry(server);
    if (!entry.ok) return { kind: "unavailable", server: server.name, error: entry.error };
    const found = entry.tools.find((tool) => tool.descriptor.name === qualified);
    return found ? { kind: "found", descriptor: found.descriptor, server, dedupesRequestId: found.dedupesRequestId } : { kind: "unknown" };
  }

  private async entry(server: ServerSpec): Promise<ServerEntry> {
    const cached = this.entries.get(server.name);
    if (cached && cached.expiresAt > this.clock.now()) return cached;
    // No sharing of an in-flight discovery between requests: a promise started by one request and
    // awaited by another can hang in Workers. Two concurrent discoveries are merely redundant.
    return this.fetchEntry(server);
  }

  private async fetchEntry(server: ServerSpec): Promise<ServerEntry> {
    let entry: ServerEntry;
    try {
      const tools = await listServerTools(this.endpointFor(server), this.options.discoveryTimeoutMs);
      const registered = tools.map((tool) => ({ descriptor: toDescriptor(server, tool), dedupesRequestId: tool.dedupesRequestId }));
      entry = { ok: true, tools: registered, expiresAt: this.clock.now() + this.options.ttlMs };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = error instanceof McpCallError ? `server_${error.kind}` : "server_error";
      entry = { ok: false, error: { code, message: `${server.name}: ${message}` }, expiresAt: this.clock.now() + this.options.failureTtlMs };
    }
    this.entries.set(server.name, entry);
    return entry;
  }
}
