/**
 * The tool catalogue as read by the steps that only consult it: `plan` offers a model the tools,
 * `retrieve` names them to the context sanitizer. A catalogue that cannot be read (the executor
 * worker is down, or not running beside a `wrangler dev` of the api worker alone) is read as an
 * empty one, so a question the knowledge base answers does not fail because the tools are away;
 * no tool can be called then anyway. `act`, which calls tools, reads the catalogue strictly: its
 * step fails and is retried.
 */
import type { ToolDescriptor } from "../tool-protocol";
import type { StepContext } from "./step";

export async function consultCatalog(ctx: StepContext, tenantId: string): Promise<ToolDescriptor[]> {
  try {
    return await ctx.catalog.list(tenantId);
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    ctx.logger.log("warn", "the tool catalogue could not be read; this step goes on without tools", { step: ctx.step, error: String(error) });
    return [];
  }
}
