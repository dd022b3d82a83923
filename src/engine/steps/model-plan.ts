/**
 * Planning with a model: the model sees the message and the tools the caller may use (with their
 * input schemas) and answers with a plan as structured output, validated here. A tool the model
 * names that was not offered is dropped with a decision saying so.
 */
import { z } from "zod";
import { StepError } from "../errors";
import type { Plan, PlanningFacts } from "../planning";
import type { StepContext } from "../runtime/step-context";
import type { ToolDescriptor } from "../tools";
import { groundingOf } from "./grounding";
import { callModel } from "./model-call";

const PlanOutput = z.object({
  steps: z.array(z.string()),
  needs_retrieval: z.boolean(),
  tool_intents: z.array(z.object({ tool: z.string(), args: z.record(z.string(), z.unknown()) })),
});

function planningPrompt(facts: PlanningFacts, tools: ToolDescriptor[]): string {
  const toolList = tools.map((t) => `- ${t.name}: ${t.description} args schema ${JSON.stringify(t.input_schema)}`).join("\n");
  return (
    "Plan how to answer the user's message. Choose tools only from this list, with arguments that " +
    `match their schemas:\n${toolList || "(no tools)"}\n` +
    `The knowledge base holds ${facts.knowledgeChunks} chunks; set needs_retrieval when it may help.`
  );
}

export async function planWithModel(ctx: StepContext, facts: PlanningFacts, tools: ToolDescriptor[]): Promise<Plan> {
  const grounding = groundingOf(ctx.state(), { tools, knowledgeChunks: facts.knowledgeChunks });
  const response = await callModel(ctx, "planning", {
    messages: [
      { role: "system", content: planningPrompt(facts, tools) },
      { role: "user", content: facts.message },
    ],
    responseFormat: { name: "plan", schema: z.toJSONSchema(PlanOutput) as Record<string, unknown> },
    grounding,
  });
  let parsed: z.infer<typeof PlanOutput>;
  try {
    parsed = PlanOutput.parse(JSON.parse(response.text));
  } catch (error) {
    throw StepError.retryable("model_bad_plan", "the model's plan was not valid JSON of the plan schema", undefined, error);
  }
  const offered = new Set(tools.map((t) => t.name));
  const decisions = parsed.tool_intents.map((intent) =>
    offered.has(intent.tool)
      ? { decision: `use ${intent.tool}`, reason: "the model chose it" }
      : { decision: `drop ${intent.tool}`, reason: "the model named a tool it was not offered" },
  );
  decisions.push(
    parsed.needs_retrieval
      ? { decision: "retrieve from the knowledge base", reason: "the model asked for evidence" }
      : { decision: "skip retrieval", reason: "the model did not ask for evidence" },
  );
  return {
    steps: parsed.steps,
    needs_retrieval: facts.mode === "research" || parsed.needs_retrieval,
    tool_intents: parsed.tool_intents.filter((intent) => offered.has(intent.tool)),
    decisions,
  };
}
