import { describe, expect, it } from "vitest";
import { ExpressionError, evaluateExpression } from "../../../src/tools/servers/expression";

function failure(source: string): { code: string; message: string } {
  try {
    evaluateExpression(source);
  } catch (error) {
    if (error instanceof ExpressionError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`${source} did not fail`);
}

describe("calculator expression parser", () => {
  it.each([
    ["12 * (3 + 4)", 84],
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["10 - 4 - 3", 3],
    ["100 / 10 / 5", 2],
    ["2 ^ 3 ^ 2", 512],
    ["-2 ^ 2", -4],
    ["(-2) ^ 2", 4],
    ["2 ^ -1", 0.5],
    ["--3", 3],
    ["-(1 + 2) * -3", 9],
    ["+5", 5],
    ["1.5 * .5", 0.75],
    ["0.1 + 0.2", 0.3],
    ["  7  ", 7],
    ["1 - 1", 0],
    ["-0", 0],
  ])("%s = %s", (source, value) => {
    expect(evaluateExpression(source)).toBe(value);
  });

  it("reports division by zero", () => {
    expect(failure("5 / (3 - 3)")).toEqual({ code: "division_by_zero", message: "division by zero" });
  });

  it.each([
    ["", "empty expression"],
    ["2 +", "unexpected end of expression"],
    ["(1 + 2", "missing closing parenthesis"],
    ["1 + 2)", "unexpected ')' at position 6"],
    ["2 * * 3", "unexpected '*' at position 5"],
    ["1.2.3", "malformed number at position 1"],
    ["2 (3)", "unexpected '(' at position 3"],
    ["alert(1)", "unexpected character 'a' at position 1"],
    ["constructor", "unexpected character 'c' at position 1"],
    ["1e5", "unexpected character 'e' at position 2"],
  ])("explains malformed input %j", (source, message) => {
    expect(failure(source)).toEqual({ code: "malformed_expression", message });
  });

  it("refuses results that are not finite, deep nesting and overlong input", () => {
    expect(failure("10 ^ 400").code).toBe("not_finite");
    expect(failure(`${"(".repeat(100)}1${")".repeat(100)}`).message).toBe("expression is nested too deeply");
    expect(failure("-".repeat(100) + "1").message).toBe("expression is nested too deeply");
    expect(failure("1+".repeat(600) + "1").message).toMatch(/longer than 1000 characters/);
  });
});
