/**
 * Which MCP servers the executor knows: the three built-in ones it serves itself, plus any remote
 * Streamable HTTP server registered by configuration alone through `MCP_SERVERS` (parsed with the
 * other settings in src/adapters/executor-settings.ts).
 */
import type { ExecutorSettings } from "../adapters/executor-settings";
import { scopeForServer } from "../engine/tool-policy";

export const BUILTIN_SERVERS = ["calculator", "notes", "github"] as const;
export type BuiltinServer = (typeof BUILTIN_SERVERS)[number];

export interface ServerSpec {
  name: string;
  /** `builtin` servers are reached in-process through the executor's own /mcp/<name> handler. */
  kind: "builtin" | "remote";
  url: string;
  /** The scope a caller needs for this server's tools. */
  scope: string;
  approval: "auto" | "always";
  /** Extra request headers (remote servers: resolved from secrets). */
  headers: Record<string, string>;
}

export const BUILTIN_ORIGIN = "https://run-engine-tools.internal";

export function serverSpecs(settings: Pick<ExecutorSettings, "remoteServers">): ServerSpec[] {
  const builtin = BUILTIN_SERVERS.map((name): ServerSpec => ({
    name,
    kind: "builtin",
    url: `${BUILTIN_ORIGIN}/mcp/${name}`,
    scope: scopeForServer(name),
    approval: "auto",
    headers: {},
  }));
  return [...builtin, ...settings.remoteServers.map((server): ServerSpec => ({ ...server, kind: "remote" }))];
}
