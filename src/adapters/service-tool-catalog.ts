/**
 * The ToolCatalog port (src/engine/ports.ts) over the TOOLS service binding from the api worker to
 * the executor worker, whose `listTools` RPC answers from the registry. The answer crosses a
 * worker boundary, so it is parsed with the descriptor schema.
 */
import { z } from "zod";
import type { ToolCatalog } from "../engine/ports";
import { ToolDescriptor } from "../engine/tools";

/** The part of the executor's RPC surface the catalogue uses (`env.TOOLS` provides it). */
export interface ToolsService {
  listTools(tenantId: string): Promise<unknown>;
}

const Descriptors = z.array(ToolDescriptor);

export class ServiceToolCatalog implements ToolCatalog {
  constructor(private readonly service: ToolsService) {}

  async list(tenantId: string): Promise<ToolDescriptor[]> {
    return Descriptors.parse(await this.service.listTools(tenantId));
  }
}
