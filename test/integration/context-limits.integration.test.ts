/**
 * Inputs within the contract's size limits that must still end in the contract's 400, never a 500
 * (CONTRACT.md "Errors": 500 is a bug).
 */
import { describe, expect, it } from "vitest";
import { api } from "../support/api";

function postRaw(body: string) {
  return api("/runs", { method: "POST", headers: { "content-type": "application/json" }, body });
}

describe("POST /runs with a context that could not be stored as sent", () => {
  it.each([
    ['{"message":"hi","context":{"__proto__":{"admin":true},"a":1}}', "context.__proto__"],
    ['{"message":"hi","context":{"deep":{"list":[{"__proto__":1}]}}}', "context.deep.list.0.__proto__"],
  ])("refuses a __proto__ key with 400 instead of dropping it: %s", async (body, path) => {
    const response = await postRaw(body);
    const text = await response.text();
    expect(response.status, text).toBe(400);
    const error = (JSON.parse(text) as { error: { code: string; message: string; details?: { path: string }[] } }).error;
    expect(error.code).toBe("invalid_request");
    expect(error.message).toContain("__proto__");
    expect(error.details?.map((d) => d.path)).toContain(path);
  });

  it("keeps other unusual keys as data", async () => {
    const response = await postRaw('{"message":"hi","context":{"constructor":1,"toString":"x","prototype":{"a":[1]}}}');
    expect(response.status).toBe(201);
    const { run_id } = (await response.json()) as { run_id: string };
    const state = (await (await api(`/runs/${run_id}/state`)).json()) as { context: unknown };
    expect(state.context).toEqual({ constructor: 1, toString: "x", prototype: { a: [1] } });
  });
});

describe("POST /runs with a deeply nested context", () => {
  it("answers 400 invalid_request, not 500, for a small context nested thousands of levels deep", async () => {
    // 8 KB of brackets: well under the 16 KiB context limit and the 256 KiB body limit.
    const depth = 4_000;
    const body = `{"message":"hi","context":{"a":${"[".repeat(depth)}${"]".repeat(depth)}}}`;
    const response = await postRaw(body);
    const text = await response.text();
    expect(response.status, text).toBe(400);
    const error = (JSON.parse(text) as { error: { code: string; details?: { path: string }[] } }).error;
    expect(error.code).toBe("invalid_request");
    expect(error.details?.map((d) => d.path)).toContain("context");
  });
});
