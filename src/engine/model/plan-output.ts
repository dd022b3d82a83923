/**
 * The plan a model returns, at the trust boundary: the zod schema (one source of the shape), the
 * JSON schema the model is asked to follow, the function specs for planning by tool calling, and
 * the parser that turns a model response into a plan. A plan is
 * `{steps: string[], needs_retrieval: boolean, tool_intents: [{tool: "server.tool", args: {}}]}`.
 *
 * Contract of `parsePlan`: output that is not a plan is a retryable `model_bad_plan` (another
 * attempt may do better); a tool intent naming a tool that was not offered is not an error but is
 * left out of the plan and reported in `rejected`, so the step can say why in `decision.made`.
 */
import { z } from "zod";
import { StepError } from "../errors";
import type { ToolIntent } from "../events";
import type { ModelResponse, ModelToolSpec } from "../ports";
import type { ToolDescriptor } from "../tool-protocol";

export const PLAN_SCHEMA_NAME = "plan";
const MAX_STEPS = 12;
const MAX_INTENTS = 8;

export const PlanOutput = z.object({
  steps: z.array(z.string().trim().min(1).max(500)).min(1).max(MAX_STEPS),
  needs_retrieval: z.boolean(),
  tool_intents: z.array(z.object({ tool: z.string().min(1), args: z.record(z.string(), z.unknown()) })).max(MAX_INTENTS),
});
export type PlanOutput = z.infer<typeof PlanOutput>;

export interface ParsedPlan extends PlanOutput {
  /** Intents left out of the plan, with the reason. */
  rejected: { tool: string; reason: string }[];
}

/**
 * The JSON schema for structured output, with `tool` limited to the offered tools' names (or no
 * intents at all when none is offered), so a conforming model cannot name another tool.
 */
export function planJsonSchema(tools: readonly ToolDescriptor[]): Record<string, unknown> {
  const names = tools.map((tool) => tool.name);
  const [first, ...rest] = names;
  const intent = z.object({
    tool: first === undefined ? z.string() : z.enum([first, ...rest]),
    args: z.record(z.string(), z.unknown()).describe("arguments matching the tool's input schema"),
  });
  const schema = z.object({
    steps: PlanOutput.shape.steps.describe("short imperative steps, in order"),
    needs_retrieval: z.boolean().describe("true when the answer needs facts from the knowledge base"),
    tool_intents: z.array(intent).max(first === undefined ? 0 : MAX_INTENTS).describe("tool calls to make before answering"),
  });
  return forModels(z.toJSONSchema(schema) as Record<string, unknown>);
}

/**
 * Drops JSON-schema keywords that model providers reject or ignore (`$schema`; `propertyNames`,
 * which zod emits for records).
 */
function forModels(node: unknown): Record<string, unknown> {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (typeof value !== "object" || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "$schema" && key !== "propertyNames")
        .map(([key, inner]) => [key, clean(inner)]),
    );
  };
  return clean(node) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Planning by tool calling

/** The pseudo-function through which a model asks for retrieval when planning by tool calls. */
export const KNOWLEDGE_FUNCTION = "search_knowledge";

/**
 * Function names must match `^[a-zA-Z0-9_-]{1,64}$`: `calculator.evaluate` is offered as
 * `calculator__evaluate`.
 */
export function toolFunctionName(qualified: string): string {
  return qualified.replace(/\./g, "__").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

/** The allowed tools as functions (their MCP input schemas), plus the knowledge search. */
export function planningToolSpecs(tools: readonly ToolDescriptor[], hasKnowledge: boolean): ModelToolSpec[] {
  const specs: ModelToolSpec[] = tools.map((tool) => ({
    name: toolFunctionName(tool.name),
    description: tool.description || tool.name,
    parameters: tool.input_schema,
  }));
  if (hasKnowledge) {
    specs.push({
      name: KNOWLEDGE_FUNCTION,
      description: "Search the knowledge base for documents that help answer the message.",
      parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
    });
  }
  return specs;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * A plan from the model's response: from its tool calls when it made any (planning by tool
 * calling), else from its JSON text (structured output). Tools are matched by qualified name or
 * function name against `offered`.
 */
export function parsePlan(response: Pick<ModelResponse, "text" | "toolCalls">, offered: readonly ToolDescriptor[]): ParsedPlan {
  const byName = new Map<string, ToolDescriptor>();
  for (const tool of offered) {
    byName.set(tool.name, tool);
    byName.set(toolFunctionName(tool.name), tool);
  }
  const rejected: ParsedPlan["rejected"] = [];
  const accept = (intents: ToolIntent[]): ToolIntent[] =>
    intents.flatMap((intent) => {
      const tool = byName.get(intent.tool);
      if (tool === undefined) {
        rejected.push({ tool: intent.tool, reason: "the model named a tool it was not offered" });
        return [];
      }
      return [{ tool: tool.name, args: intent.args }];
    });

  if (response.toolCalls.length > 0) {
    const searches = response.toolCalls.filter((call) => call.name === KNOWLEDGE_FUNCTION);
    const intents = accept(
      response.toolCalls.filter((call) => call.name !== KNOWLEDGE_FUNCTION).map((call) => ({ tool: call.name, args: call.arguments })),
    ).slice(0, MAX_INTENTS);
    const written = tryParsePlanText(response.text);
    const steps = written?.steps ?? [
      ...intents.map((intent) => `call ${intent.tool}`),
      ...(searches.length > 0 ? ["retrieve evidence"] : []),
      "compose the answer",
    ];
    return { steps, needs_retrieval: searches.length > 0 || (written?.needs_retrieval ?? false), tool_intents: intents, rejected };
  }

  const plan = tryParsePlanText(response.text);
  if (plan === null) {
    const detail = describeFailure(response.text);
    throw StepError.retryable("model_bad_plan", `the model's plan is not valid JSON of the plan schema (${detail})`);
  }
  return { steps: plan.steps, needs_retrieval: plan.needs_retrieval, tool_intents: accept(plan.tool_intents), rejected };
}

/** The JSON object in a model's text: bare, or inside a ```json fence some models add anyway. */
function jsonIn(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = (fenced?.[1] ?? text).trim();
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  if (start === -1 || end < start) return undefined;
  try {
    return JSON.parse(body.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

function tryParsePlanText(text: string): PlanOutput | null {
  const parsed = PlanOutput.safeParse(jsonIn(text));
  return parsed.success ? parsed.data : null;
}

function describeFailure(text: string): string {
  const value = jsonIn(text);
  if (value === undefined) return text.trim() === "" ? "empty output" : "no JSON object found";
  const parsed = PlanOutput.safeParse(value);
  if (parsed.success) return "valid";
  return parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "plan"}: ${issue.message}`)
    .join("; ");
}
