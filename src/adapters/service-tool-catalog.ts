/**
 * The ToolCatalog port (src/engine/ports.ts) over the TOOLS service binding from the api worker to
 * the executor worker, whose `listTools` RPC answers from the registry. The answer crosses a
 * worker boundary, so it is parsed with the descriptor schema. It is kept per tenant for a few
 * seconds in this isolate: every run plans with the catalogue, and it changes only when servers
 * or their tools do (the executor itself re-discovers them once a minute).
 */
import { z } from "zod";
import { StepError } from "../engine/errors";
import type { ToolCatalog } from "../engine/ports";
import { ToolDescriptor } from "../engine/tool-protocol";

/** The part of the executor's RPC surface the catalogue uses (`env.TOOLS` provides it). */
export interface ToolsService {
  listTools(tenantId: string): Promise<unknown>;
}

const Descriptors = z.array(ToolDescriptor);

export const CATALOG_TTL_MS = 5_000;

/** Per isolate, per tenant: the last answer and when it expires. */
const cache = new Map<string, { tools: ToolDescriptor[]; expiresAt: number }>();

/** A binding to a worker that is not running, as `wrangler dev` of the api worker alone answers it. */
const NOT_RUNNING = /Worker "[^"]+" not found/;

/**
 * What a caller is told when the executor did not answer: a fixed sentence, and how to start it
 * when it is plainly not running; the executor's own error stays in its log.
 */
function executorUnreachable(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return NOT_RUNNING.test(message)
    ? "the tool executor (the run-engine-tools worker) is not running; locally, `npm run dev` starts it beside the api worker"
    : "the tool executor (the run-engine-tools worker) did not answer";
}

export class ServiceToolCatalog implements ToolCatalog {
  constructor(
    private readonly service: ToolsService,
    private readonly ttlMs = CATALOG_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async list(tenantId: string): Promise<ToolDescriptor[]> {
    const hit = cache.get(tenantId);
    if (hit !== undefined && hit.expiresAt > this.now()) return hit.tools;
    let answer: unknown;
    try {
      answer = await this.service.listTools(tenantId);
    } catch (error) {
      // The executor did not answer: down, failing, or (under `wrangler dev`) not started beside the
      // api worker. Retryable: the steps retry it, and those that only consult the catalogue go on
      // without it on their last attempt.
      throw StepError.retryable("tool_executor_unreachable", executorUnreachable(error), undefined, error);
    }
    const tools = Descriptors.parse(answer);
    if (this.ttlMs > 0) cache.set(tenantId, { tools, expiresAt: this.now() + this.ttlMs });
    return tools;
  }
}
