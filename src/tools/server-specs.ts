/**
 * Which MCP servers the executor knows: the three built-in ones it serves itself, plus any remote
 * Streamable HTTP server registered by configuration alone through `MCP_SERVERS` (JSON list of
 * `{name, url, scope?, approval?, headers?, timeout_ms?}`; a header value is a plain string or
 * `{secret: "NAME", prefix?: "Bearer "}`, read from the worker's secret `NAME`).
 */
import { z } from "zod";
import { scopeForServer } from "../engine/tool-policy";
import type { ToolsEnv } from "./env";

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

/** Server names become the first half of `server.tool`, so they hold no dot. */
const ServerName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lower-case letters, digits, _ and -");
const HeaderValue = z.union([z.string(), z.object({ secret: z.string().min(1), prefix: z.string().default("") })]);
const RemoteServerConfig = z.object({
  name: ServerName.refine((name) => !(BUILTIN_SERVERS as readonly string[]).includes(name), "is a built-in server"),
  url: z.url({ protocol: /^https?$/ }),
  /** Defaults to `tools:<name>`; never weaker than a `tools:` scope (CONTRACT: external servers need one). */
  scope: z.string().regex(/^tools:[a-z0-9_-]+$/).optional(),
  approval: z.enum(["auto", "always"]).default("auto"),
  headers: z.record(z.string(), HeaderValue).default({}),
});
const RemoteServersConfig = z.array(RemoteServerConfig).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [index, server] of list.entries()) {
    if (seen.has(server.name)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `duplicate server ${server.name}` });
    seen.add(server.name);
  }
});

export const BUILTIN_ORIGIN = "https://run-engine-tools.internal";

function builtinSpecs(): ServerSpec[] {
  return BUILTIN_SERVERS.map((name) => ({
    name,
    kind: "builtin",
    url: `${BUILTIN_ORIGIN}/mcp/${name}`,
    scope: scopeForServer(name),
    approval: "auto",
    headers: {},
  }));
}

/** Thrown when MCP_SERVERS is malformed or names a secret that is not set. */
export class ServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServerConfigError";
  }
}

export function readServerSpecs(env: ToolsEnv): ServerSpec[] {
  const text = typeof env.MCP_SERVERS === "string" && env.MCP_SERVERS.trim() !== "" ? env.MCP_SERVERS : "[]";
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ServerConfigError("MCP_SERVERS is not valid JSON");
  }
  const parsed = RemoteServersConfig.safeParse(json);
  if (!parsed.success) throw new ServerConfigError(`MCP_SERVERS: ${z.prettifyError(parsed.error)}`);
  const remote = parsed.data.map((server): ServerSpec => {
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(server.headers)) {
      if (typeof value === "string") {
        headers[header] = value;
        continue;
      }
      const secret = env[value.secret];
      if (typeof secret !== "string" || secret === "") {
        throw new ServerConfigError(`MCP_SERVERS: server ${server.name} needs the secret ${value.secret}, which is not set`);
      }
      headers[header] = `${value.prefix}${secret}`;
    }
    return {
      name: server.name,
      kind: "remote",
      url: server.url,
      scope: server.scope ?? scopeForServer(server.name),
      approval: server.approval,
      headers,
    };
  });
  return [...builtinSpecs(), ...remote];
}
