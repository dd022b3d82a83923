/**
 * The tool-executor worker. Queue consumer of `tool-requests` (and of its dead-letter queue), HTTP
 * host of the built-in MCP servers, and RPC service for the api worker (`listTools`, bound as TOOLS).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { ToolDescriptor, ToolOutcome } from "../engine/tool-protocol";
import { handleDeadLetter } from "./dead-letter";
import type { ToolsEnv } from "./env";
import type { LedgerRecord } from "./ledger";
import { handleMcpHttp } from "./mcp-routes";
import { backoffSeconds, handleToolRequest, type Disposition } from "./request-handler";
import { settleRequest } from "./settle-request";
import { createRuntime } from "./wiring";

export { CallLedger } from "./ledger";
export { NotesStore } from "./servers/notes-store";

export default class ToolExecutor extends WorkerEntrypoint<ToolsEnv> {
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return Response.json({ ok: true, worker: "run-engine-tools" });
    const runtime = createRuntime(this.env);
    return handleMcpHttp(request, this.env, runtime.settings);
  }

  /** The messages of a batch run concurrently; each is acked or retried on its own. */
  override async queue(batch: MessageBatch): Promise<void> {
    const runtime = createRuntime(this.env);
    const deadLetters = batch.queue === runtime.settings.deadLetterQueue;
    await Promise.all(
      batch.messages.map(async (message) => {
        let disposition: Disposition;
        try {
          disposition = deadLetters ? await handleDeadLetter(message.body, runtime) : await handleToolRequest(message.body, message.attempts, runtime);
        } catch (error) {
          // A fault of this attempt (storage, a binding): the Queue retries it, then dead-letters it.
          runtime.logger.log("error", "tool.handler_failed", { queue: batch.queue, attempts: message.attempts, error: String(error) });
          disposition = { kind: "retry", delaySeconds: backoffSeconds(message.attempts) };
        }
        if (disposition.kind === "ack") message.ack();
        else message.retry({ delaySeconds: disposition.delaySeconds });
      }),
    );
  }

  /** The catalogue for the api worker: every registered tool the tenant may see (allowlist applied). */
  async listTools(tenantId: string): Promise<ToolDescriptor[]> {
    const runtime = createRuntime(this.env);
    return runtime.registry.list(tenantId, runtime.settings.allowlist);
  }

  /**
   * The run's deadline for a request passed with no outcome: its outcome, now (settle-request.ts):
   * the recorded one, the one of an attempt that finishes soon, of a run of it now, or the fence
   * that keeps it from ever running. Null while an attempt still holds it.
   */
  async settleRequest(message: unknown): Promise<ToolOutcome | null> {
    return settleRequest(message, createRuntime(this.env));
  }

  /** What the executor recorded for one request: claim, outcome, deliveries (operators, tests). */
  async inspectRequest(tenantId: string, runId: string, requestId: string): Promise<LedgerRecord | null> {
    return createRuntime(this.env).ledger(tenantId, runId).inspect(requestId);
  }
}
