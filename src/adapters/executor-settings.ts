/**
 * The tool-executor worker's settings: its string variables and secrets (src/tools/wrangler.toml,
 * `.dev.vars`, `wrangler secret put`) parsed by one zod schema, once per bindings object, into the
 * typed settings the rest of the executor receives. Nothing else in the executor reads a variable.
 *
 * A malformed value throws at the first request (it is not half-applied), with one exception:
 * a broken `MCP_SERVERS` must not take the built-in tools down with it, so it leaves the remote
 * servers out and is reported in `problems` for the caller to log.
 */
import { z } from "zod";
import { scopeForServer } from "../engine/tool-policy";

/** A remote Streamable HTTP MCP server registered by `MCP_SERVERS`, its header secrets resolved. */
export interface RemoteServerSettings {
  name: string;
  url: string;
  /** The scope a caller needs for this server's tools (`tools:<name>` unless configured). */
  scope: string;
  approval: "auto" | "always";
  headers: Record<string, string>;
}

export interface ExecutorSettings {
  logLevel: string;
  githubApiBase: string;
  githubToken: string | undefined;
  githubTimeoutMs: number;
  /** Upper bound of one tool call; the message's deadline may shorten it. */
  toolTimeoutMs: number;
  cacheTtlS: number;
  maxArgsBytes: number;
  maxResultBytes: number;
  maxCallsPerRun: number;
  deadLetterQueue: string;
  /** When set, /mcp/* requires `Authorization: Bearer <token>`. */
  mcpServerToken: string | undefined;
  /** tenant -> allowed tool patterns (`server.tool`, `server.*`, `*`); tenants not listed may use all tools. */
  allowlist: Record<string, string[]>;
  remoteServers: RemoteServerSettings[];
  /** The ledger redelivers an unacknowledged outcome after this, doubling up to `redeliveryMaxMs`. */
  redeliveryBaseMs: number;
  redeliveryMaxMs: number;
  /** Configuration problems that were survived (a broken MCP_SERVERS), for the log. */
  problems: string[];
}

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

function json(text: string, ctx: z.RefinementCtx, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    ctx.addIssue({ code: "custom", message: `${what} is not valid JSON` });
    return z.NEVER;
  }
}

/** Server names become the first half of `server.tool`, so they hold no dot. */
const ServerName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "lower-case letters, digits, _ and -");
const HeaderValue = z.union([z.string(), z.object({ secret: z.string().min(1), prefix: z.string().default("") })]);
const RemoteServerConfig = z.object({
  name: ServerName,
  url: z.url({ protocol: /^https?$/ }),
  /** Never weaker than a `tools:` scope (CONTRACT: external servers need one). */
  scope: z.string().regex(/^tools:[a-z0-9_-]+$/).optional(),
  approval: z.enum(["auto", "always"]).default("auto"),
  headers: z.record(z.string(), HeaderValue).default({}),
});

/** MCP_SERVERS: a JSON list of `{name, url, scope?, approval?, headers?}`, names unique and not built in. */
function remoteServersSchema(reserved: readonly string[]) {
  return z
    .string()
    .transform((text, ctx) => json(text.trim() === "" ? "[]" : text, ctx, "MCP_SERVERS"))
    .pipe(
      z.array(RemoteServerConfig).superRefine((list, ctx) => {
        const seen = new Set<string>();
        for (const [index, server] of list.entries()) {
          if (reserved.includes(server.name)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `${server.name} is a built-in server` });
          if (seen.has(server.name)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `duplicate server ${server.name}` });
          seen.add(server.name);
        }
      }),
    );
}

const Allowlist = z
  .string()
  .transform((text, ctx) => json(text, ctx, "TOOL_ALLOWLIST"))
  .pipe(z.record(z.string(), z.array(z.string()), { error: "TOOL_ALLOWLIST must be a JSON object of tenant -> tool patterns" }));

const VarsSchema = z.object({
  LOG_LEVEL: z.string().default("info"),
  GITHUB_API_BASE: z.url({ protocol: /^https?$/ }).default("https://api.github.com"),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_TIMEOUT_MS: positiveInt(8_000),
  TOOL_TIMEOUT_MS: positiveInt(10_000),
  TOOL_CACHE_TTL_S: positiveInt(300),
  MAX_ARGS_BYTES: positiveInt(16_384),
  MAX_RESULT_BYTES: positiveInt(65_536),
  MAX_CALLS_PER_RUN: positiveInt(16),
  DEAD_LETTER_QUEUE: z.string().min(1).default("tool-requests-dlq"),
  MCP_SERVER_TOKEN: z.string().min(1).optional(),
  TOOL_ALLOWLIST: Allowlist.default({}),
  REDELIVERY_BASE_MS: positiveInt(2_000),
  REDELIVERY_MAX_MS: positiveInt(60_000),
});

/** Thrown when a setting is malformed. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

/** The remote servers, or why MCP_SERVERS cannot be used (a malformed list, or a secret it names that is not set). */
function readRemoteServers(env: Readonly<Record<string, unknown>>, reserved: readonly string[]): RemoteServerSettings[] | string {
  const raw = typeof env.MCP_SERVERS === "string" ? env.MCP_SERVERS : "[]";
  const parsed = remoteServersSchema(reserved).safeParse(raw);
  if (!parsed.success) return `MCP_SERVERS: ${z.prettifyError(parsed.error)}`;
  const servers: RemoteServerSettings[] = [];
  for (const server of parsed.data) {
    const headers: Record<string, string> = {};
    for (const [header, value] of Object.entries(server.headers)) {
      if (typeof value === "string") {
        headers[header] = value;
        continue;
      }
      const secret = env[value.secret];
      if (typeof secret !== "string" || secret === "") return `MCP_SERVERS: server ${server.name} needs the secret ${value.secret}, which is not set`;
      headers[header] = `${value.prefix}${secret}`;
    }
    servers.push({ name: server.name, url: server.url, scope: server.scope ?? scopeForServer(server.name), approval: server.approval, headers });
  }
  return servers;
}

/**
 * Parses the executor's variables. `reservedServerNames`: the built-in servers, which a remote one
 * may not shadow. An empty string counts as unset (wrangler passes `--var X:` as "").
 */
export function parseExecutorSettings(env: Readonly<Record<string, unknown>>, reservedServerNames: readonly string[]): ExecutorSettings {
  const raw = Object.fromEntries(Object.keys(VarsSchema.shape).map((key) => [key, env[key] === "" ? undefined : env[key]]));
  const parsed = VarsSchema.safeParse(raw);
  if (!parsed.success) throw new SettingsError(`invalid executor settings: ${z.prettifyError(parsed.error)}`);
  const v = parsed.data;
  const remote = readRemoteServers(env, reservedServerNames);
  return {
    logLevel: v.LOG_LEVEL,
    githubApiBase: v.GITHUB_API_BASE,
    githubToken: v.GITHUB_TOKEN,
    githubTimeoutMs: v.GITHUB_TIMEOUT_MS,
    toolTimeoutMs: v.TOOL_TIMEOUT_MS,
    cacheTtlS: v.TOOL_CACHE_TTL_S,
    maxArgsBytes: v.MAX_ARGS_BYTES,
    maxResultBytes: v.MAX_RESULT_BYTES,
    maxCallsPerRun: v.MAX_CALLS_PER_RUN,
    deadLetterQueue: v.DEAD_LETTER_QUEUE,
    mcpServerToken: v.MCP_SERVER_TOKEN,
    allowlist: v.TOOL_ALLOWLIST,
    remoteServers: typeof remote === "string" ? [] : remote,
    redeliveryBaseMs: v.REDELIVERY_BASE_MS,
    redeliveryMaxMs: Math.max(v.REDELIVERY_MAX_MS, v.REDELIVERY_BASE_MS),
    problems: typeof remote === "string" ? [remote] : [],
  };
}

const byEnv = new WeakMap<object, ExecutorSettings>();

/** `parseExecutorSettings`, once per bindings object (the runtime hands an isolate's requests the same `env`). */
export function executorSettings(env: Readonly<Record<string, unknown>>, reservedServerNames: readonly string[]): ExecutorSettings {
  const known = byEnv.get(env);
  if (known) return known;
  const settings = parseExecutorSettings(env, reservedServerNames);
  byEnv.set(env, settings);
  return settings;
}
