/**
 * The executor worker's bindings (src/tools/wrangler.toml). Written by hand because `npm run types`
 * generates the api worker's `Env` only; the binding types themselves come from the runtime types.
 */
import type { DeliveryResult, ToolOutcome } from "../engine/tool-protocol";
import type { CallLedger } from "./ledger";
import type { NotesStore } from "./servers/notes-store";

/** The part of the api worker's run object that the executor calls (CONTRACT: idempotent on request_id). */
export interface RunDeliveryTarget extends Rpc.DurableObjectBranded {
  deliverToolResult(outcome: ToolOutcome): Promise<DeliveryResult>;
}

export interface ToolsEnv {
  RUN_OBJECT: DurableObjectNamespace<RunDeliveryTarget>;
  CALL_LEDGER: DurableObjectNamespace<CallLedger>;
  NOTES: DurableObjectNamespace<NotesStore>;
  TOOL_CACHE: KVNamespace;
  LOG_LEVEL?: string;
  GITHUB_API_BASE?: string;
  GITHUB_TOKEN?: string;
  GITHUB_TIMEOUT_MS?: string;
  TOOL_TIMEOUT_MS?: string;
  TOOL_CACHE_TTL_S?: string;
  MAX_ARGS_BYTES?: string;
  MAX_RESULT_BYTES?: string;
  MAX_CALLS_PER_RUN?: string;
  DEAD_LETTER_QUEUE?: string;
  MCP_SERVERS?: string;
  TOOL_ALLOWLIST?: string;
  /** When set, /mcp/* requires `Authorization: Bearer <token>` (unset: open, as in dev mode). */
  MCP_SERVER_TOKEN?: string;
  /** Secrets named by MCP_SERVERS header entries are read from here too. */
  [secret: string]: unknown;
}
