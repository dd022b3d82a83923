/**
 * The tool catalogue as read by the steps that only consult it: `plan` offers a model the tools,
 * `retrieve` names them to the context sanitizer. A catalogue that cannot be read (the executor
 * worker is down, or not running beside a `wrangler dev` of the api worker alone) fails the step
 * like any other error, so a passing outage is retried; on the step's last attempt the step goes
 * on without it (null: unknown), so a question the knowledge base answers does not fail because
 * the tools are away. `act`, which calls tools, always reads it strictly.
 */
import type { ToolDescriptor } from "../tool-protocol";
import type { StepContext } from "./step";

export async function consultCatalog(ctx: StepContext, tenantId: string): Promise<ToolDescriptor[] | null> {
  try {
    return await ctx.catalog.list(tenantId);
  } catch (error) {
    if (ctx.signal.aborted || ctx.attempt < ctx.config.steps[ctx.step].maxAttempts) throw error;
    ctx.logger.log("warn", "the tool catalogue could not be read on the step's last attempt; it goes on without tools", {
      step: ctx.step,
      error: String(error),
    });
    return null;
  }
}
