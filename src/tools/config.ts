/**
 * The executor's configuration, parsed once per isolate from its string bindings with zod (a
 * malformed value fails loudly at the first request instead of being half-applied).
 */
import { z } from "zod";
import type { ToolsEnv } from "./env";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const ConfigSchema = z.object({
  GITHUB_API_BASE: z.url().default("https://api.github.com"),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_TIMEOUT_MS: positiveInt(8_000),
  TOOL_TIMEOUT_MS: positiveInt(10_000),
  TOOL_CACHE_TTL_S: positiveInt(300),
  MAX_ARGS_BYTES: positiveInt(16_384),
  MAX_RESULT_BYTES: positiveInt(65_536),
  MAX_CALLS_PER_RUN: positiveInt(16),
  DEAD_LETTER_QUEUE: z.string().min(1).default("tool-requests-dlq"),
  MCP_SERVER_TOKEN: z.string().min(1).optional(),
  TOOL_ALLOWLIST: z
    .string()
    .default("{}")
    .transform((text, ctx) => {
      const parsed = z.record(z.string(), z.array(z.string())).safeParse(safeJson(text));
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", message: "TOOL_ALLOWLIST must be a JSON object of tenant -> tool patterns" });
        return z.NEVER;
      }
      return parsed.data;
    }),
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface ExecutorConfig {
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
  mcpServerToken: string | undefined;
  /** tenant -> allowed tool patterns (`server.tool`, `server.*`, `*`); tenants not listed may use all tools. */
  allowlist: Record<string, string[]>;
}

export function readConfig(env: ToolsEnv): ExecutorConfig {
  const pick = (key: string): unknown => {
    const value = env[key];
    return value === "" ? undefined : value;
  };
  const raw = Object.fromEntries(Object.keys(ConfigSchema.shape).map((key) => [key, pick(key)]));
  const c = ConfigSchema.parse(raw);
  return {
    githubApiBase: c.GITHUB_API_BASE,
    githubToken: c.GITHUB_TOKEN,
    githubTimeoutMs: c.GITHUB_TIMEOUT_MS,
    toolTimeoutMs: c.TOOL_TIMEOUT_MS,
    cacheTtlS: c.TOOL_CACHE_TTL_S,
    maxArgsBytes: c.MAX_ARGS_BYTES,
    maxResultBytes: c.MAX_RESULT_BYTES,
    maxCallsPerRun: c.MAX_CALLS_PER_RUN,
    deadLetterQueue: c.DEAD_LETTER_QUEUE,
    mcpServerToken: c.MCP_SERVER_TOKEN,
    allowlist: c.TOOL_ALLOWLIST,
  };
}
