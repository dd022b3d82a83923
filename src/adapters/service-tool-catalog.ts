/**
 * The ToolCatalog port (src/engine/ports.ts) over the TOOLS service binding from the api worker to
 * the executor worker, whose `listTools` RPC answers from the registry. The answer crosses a
 * worker boundary, so it is parsed with the descriptor schema. It is kept per tenant for a few
 * seconds in this isolate: every run plans with the catalogue, and it changes only when servers
 * or their tools do (the executor itself re-discovers them once a minute).
 */
import { z } from "zod";
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

export class ServiceToolCatalog implements ToolCatalog {
  constructor(
    private readonly service: ToolsService,
    private readonly ttlMs = CATALOG_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async list(tenantId: string): Promise<ToolDescriptor[]> {
    const hit = cache.get(tenantId);
    if (hit !== undefined && hit.expiresAt > this.now()) return hit.tools;
    const tools = Descriptors.parse(await this.service.listTools(tenantId));
    if (this.ttlMs > 0) cache.set(tenantId, { tools, expiresAt: this.now() + this.ttlMs });
    return tools;
  }
}
