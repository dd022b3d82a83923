/**
 * `plan`: decide which tools to call and whether to retrieve. With no model configured the
 * contract's deterministic rules decide; with a model, the model does, offered only the tools the
 * caller may use. Either way the plan and the reasons behind it become events.
 */
import { newEvent } from "../events";
import { planOffline } from "../planning";
import type { Plan } from "../planning";
import { consultCatalog } from "./consult-catalog";
import type { StepContext, StepResult } from "./step";
import { allowedTools } from "../tool-policy";
import { planWithModel } from "./model-plan";

export async function plan(ctx: StepContext): Promise<StepResult> {
  const state = ctx.state();
  const offline = ctx.model.provider === "offline";
  // Only a model is offered the tools; the rules know theirs, so they need no catalogue.
  const [catalog, knowledgeChunks] = await Promise.all([
    offline ? Promise.resolve([]) : consultCatalog(ctx, state.tenant_id).then((tools) => tools ?? []),
    state.mode === "research" ? Promise.resolve(1) : ctx.retriever.count(state.tenant_id),
  ]);
  const facts = { message: state.message, mode: state.mode, knowledgeChunks, history: state.history };
  const result: Plan & { source: "rules" | "model" } = offline
    ? { ...planOffline(facts), source: "rules" }
    : { ...(await planWithModel(ctx, facts, allowedTools(catalog, state.scopes))), source: "model" };
  ctx.emit(
    newEvent("plan.created", {
      steps: result.steps,
      needs_retrieval: result.needs_retrieval,
      tool_intents: result.tool_intents,
      source: result.source,
      knowledge_chunks: knowledgeChunks,
    }),
    ...result.decisions.map((d) => newEvent("decision.made", d)),
  );
  return { kind: "done" };
}
