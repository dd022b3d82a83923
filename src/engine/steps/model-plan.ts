/**
 * Planning with a model: the model sees the message and the tools the caller may use (with their
 * input schemas) and answers with a plan as structured output. A tool it names that it was not
 * offered is dropped, with a decision saying so.
 */
import { parsePlan } from "../model/plan-output";
import { planningRequest } from "../model/prompts";
import type { Plan, PlanningFacts } from "../planning";
import type { StepContext } from "./step";
import type { ToolDescriptor } from "../tool-protocol";
import { groundingOf } from "./grounding";
import { callModel } from "./model-call";

export async function planWithModel(ctx: StepContext, facts: PlanningFacts, tools: ToolDescriptor[]): Promise<Plan> {
  const grounding = groundingOf(ctx.state(), { tools, knowledgeChunks: facts.knowledgeChunks });
  const response = await callModel(ctx, "planning", planningRequest(grounding));
  const parsed = parsePlan(response, tools);
  const decisions = [
    ...parsed.tool_intents.map((intent) => ({ decision: `use ${intent.tool}`, reason: "the model chose it" })),
    ...parsed.rejected.map((r) => ({ decision: `drop ${r.tool}`, reason: r.reason })),
    parsed.needs_retrieval || facts.mode === "research"
      ? {
          decision: "retrieve from the knowledge base",
          reason: facts.mode === "research" ? "research mode always retrieves" : "the model asked for evidence",
        }
      : { decision: "skip retrieval", reason: "the model did not ask for evidence" },
  ];
  return {
    steps: parsed.steps,
    needs_retrieval: facts.mode === "research" || parsed.needs_retrieval,
    tool_intents: parsed.tool_intents,
    decisions,
  };
}
