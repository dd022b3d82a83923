/**
 * The api worker when the tool executor does not answer: down, or not started (a `wrangler dev` of
 * the root config alone has no `run-engine-tools`, and the binding throws "Worker … not found").
 * `GET /tools` answers 503 `unavailable` in the contract's error shape, saying what is missing, not
 * a 500.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index";
import { BASE } from "../support/api";

/** A tenant of its own: the catalogue is kept per isolate and tenant for a few seconds. */
const KEY = "k-unreachable";
const API_KEYS = JSON.stringify({ [KEY]: { tenant_id: "unreachable", user_id: "una", scopes: ["runs:read", "runs:write"] } });

async function get(path: string, tools: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${BASE}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, { ...env, API_KEYS, TOOLS: tools } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("GET /tools with the executor unreachable", () => {
  it("answers 503 unavailable with Retry-After, naming the executor and how to start it locally", async () => {
    const missing = { listTools: () => Promise.reject(new Error('Worker "run-engine-tools" not found. Make sure it is running locally.')) };
    const response = await get("/tools", missing);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toContain("run-engine-tools");
    expect(body.error.message).toContain("npm run dev");
  });

  it("tells nothing of the executor's own error when it failed on its side", async () => {
    const failing = { listTools: () => Promise.reject(new Error("SettingsError: MCP_SERVERS entry 2 has no url (at /srv/app/config.ts:41)")) };
    const response = await get("/tools", failing);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: "unavailable", message: "the tool executor (the run-engine-tools worker) did not answer" });
  });

  it("still answers the tools when the executor does", async () => {
    const response = await get("/tools", env.TOOLS);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { tools: { name: string }[] };
    expect(body.tools.map((tool) => tool.name)).toContain("calculator.evaluate");
  });
});
