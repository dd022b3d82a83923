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
  /**
   * Variables and secrets (LOG_LEVEL, GITHUB_*, MAX_*, MCP_SERVERS and the secrets it names, ...):
   * read only by src/adapters/executor-settings.ts, which parses them once.
   */
  [variable: string]: unknown;
}
