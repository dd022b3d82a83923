/** The plan at the trust boundary: what the model is asked for, and what is accepted back. */
import { describe, expect, it } from "vitest";
import { StepError } from "../../src/engine/errors";
import {
  KNOWLEDGE_FUNCTION,
  PlanOutput,
  parsePlan,
  planJsonSchema,
  planningToolSpecs,
  toolFunctionName,
} from "../../src/engine/model/plan-output";
import type { ToolDescriptor } from "../../src/engine/tool-protocol";

function tool(name: string, input_schema: Record<string, unknown> = { type: "object", properties: {} }): ToolDescriptor {
  const [server = "", own = ""] = name.split(".");
  return { name, server, tool: own, description: `does ${own}`, input_schema, annotations: {}, read_only: true, scope: "runs:write", approval: "auto" };
}

const calculator = tool("calculator.evaluate", {
  type: "object",
  properties: { expression: { type: "string" } },
  required: ["expression"],
});
const notes = tool("notes.list");
const offered = [calculator, notes];

const text = (value: unknown) => ({ text: JSON.stringify(value), toolCalls: [] });

function thrown(fn: () => unknown): StepError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StepError);
    return error as StepError;
  }
  throw new Error("expected a StepError");
}

describe("planJsonSchema", () => {
  it("limits tool names to the offered tools", () => {
    const schema = planJsonSchema(offered) as { properties: { tool_intents: { items: { properties: { tool: unknown } } } } };
    expect(schema.properties.tool_intents.items.properties.tool).toEqual({ type: "string", enum: ["calculator.evaluate", "notes.list"] });
  });

  it("allows no tool intents when no tool is offered, and carries no keywords providers reject", () => {
    const schema = planJsonSchema([]);
    expect(schema).toMatchObject({ required: ["steps", "needs_retrieval", "tool_intents"], properties: { tool_intents: { maxItems: 0 } } });
    expect(JSON.stringify(schema)).not.toMatch(/\$schema|propertyNames/);
  });
});

describe("parsePlan from structured output", () => {
  it("accepts a plan and keeps offered tools", () => {
    const plan = parsePlan(
      text({ steps: ["compute", "answer"], needs_retrieval: false, tool_intents: [{ tool: "calculator.evaluate", args: { expression: "2+2" } }] }),
      offered,
    );
    expect(plan).toEqual({
      steps: ["compute", "answer"],
      needs_retrieval: false,
      tool_intents: [{ tool: "calculator.evaluate", args: { expression: "2+2" } }],
      rejected: [],
    });
  });

  it("rejects tools that were not offered, and maps function names back to tool names", () => {
    const plan = parsePlan(
      text({
        steps: ["do it"],
        needs_retrieval: true,
        tool_intents: [
          { tool: "github.get_repo", args: { owner: "a", repo: "b" } },
          { tool: "notes__list", args: {} },
        ],
      }),
      offered,
    );
    expect(plan.tool_intents).toEqual([{ tool: "notes.list", args: {} }]);
    expect(plan.rejected).toEqual([{ tool: "github.get_repo", reason: "the model named a tool it was not offered" }]);
  });

  it("reads JSON inside a code fence", () => {
    const plan = parsePlan({ text: 'Here:\n```json\n{"steps":["a"],"needs_retrieval":true,"tool_intents":[]}\n```', toolCalls: [] }, offered);
    expect(plan.needs_retrieval).toBe(true);
  });

  it.each([
    ["", "empty output"],
    ["I would call the calculator.", "no JSON object found"],
    ['{"steps": [], "needs_retrieval": false, "tool_intents": []}', "steps"],
    ['{"steps": ["a"], "needs_retrieval": "yes", "tool_intents": []}', "needs_retrieval"],
    ['{"steps": ["a"], "needs_retrieval": true, "tool_intents": [{"tool": "x", "args": [1]}]}', "tool_intents.0.args"],
  ])("output %j is a retryable model_bad_plan saying why", (output, why) => {
    const error = thrown(() => parsePlan({ text: output, toolCalls: [] }, offered));
    expect(error).toMatchObject({ code: "model_bad_plan", retryable: true });
    expect(error.message).toContain(why);
  });
});

describe("planning by tool calling", () => {
  it("offers the tools as valid function names, plus the knowledge search when there is knowledge", () => {
    expect(toolFunctionName("calculator.evaluate")).toBe("calculator__evaluate");
    expect(toolFunctionName("my server.do/it")).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(toolFunctionName(`x.${"y".repeat(100)}`)).toHaveLength(64);
    const specs = planningToolSpecs(offered, true);
    expect(specs.map((s) => s.name)).toEqual(["calculator__evaluate", "notes__list", KNOWLEDGE_FUNCTION]);
    expect(specs[0]?.parameters).toEqual(calculator.input_schema);
    expect(planningToolSpecs(offered, false).map((s) => s.name)).not.toContain(KNOWLEDGE_FUNCTION);
  });

  it("turns tool calls into intents and a knowledge search into needs_retrieval", () => {
    const plan = parsePlan(
      {
        text: "",
        toolCalls: [
          { name: "calculator__evaluate", arguments: { expression: "6*7" } },
          { name: KNOWLEDGE_FUNCTION, arguments: { query: "zorblax" } },
          { name: "shell__exec", arguments: { cmd: "rm -rf /" } },
        ],
      },
      offered,
    );
    expect(plan).toEqual({
      steps: ["call calculator.evaluate", "retrieve evidence", "compose the answer"],
      needs_retrieval: true,
      tool_intents: [{ tool: "calculator.evaluate", args: { expression: "6*7" } }],
      rejected: [{ tool: "shell__exec", reason: "the model named a tool it was not offered" }],
    });
    expect(PlanOutput.safeParse(plan).success).toBe(true);
  });
});
