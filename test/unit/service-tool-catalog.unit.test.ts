/**
 * The catalogue over the TOOLS service binding: an executor that does not answer (under `wrangler
 * dev` started with the api worker alone, or down, or failing) is a retryable, named failure, not an
 * internal one, and what the caller is told says nothing of the executor's own error.
 */
import { describe, expect, it } from "vitest";
import { ServiceToolCatalog } from "../../src/adapters/service-tool-catalog";
import { StepError, classify } from "../../src/engine/errors";

async function failure(service: { listTools: () => Promise<unknown> }): Promise<unknown> {
  return new ServiceToolCatalog(service, 0).list("acme").catch((e: unknown) => e);
}

describe("the tool catalogue over the TOOLS binding", () => {
  it("names an executor that is not running: tool_executor_unreachable, retryable, with how to start it", async () => {
    const error = await failure({ listTools: async () => Promise.reject(new Error('Worker "run-engine-tools" not found. Make sure it is running locally.')) });
    expect(error).toBeInstanceOf(StepError);
    expect(classify(error)).toMatchObject({ code: "tool_executor_unreachable", retryable: true });
    expect((error as Error).message).toContain("is not running");
    expect((error as Error).message).toContain("npm run dev");
  });

  it("says only that it did not answer when the executor failed on its side, keeping its error as the cause", async () => {
    const inner = new Error("SettingsError: MCP_SERVERS entry 2 has no url (at /srv/app/config.ts:41)");
    const error = await failure({ listTools: async () => Promise.reject(inner) });
    expect(classify(error)).toMatchObject({ code: "tool_executor_unreachable", retryable: true });
    expect((error as Error).message).toBe("the tool executor (the run-engine-tools worker) did not answer");
    expect((error as Error).cause).toBe(inner);
  });

  it("still refuses an answer that is not a list of descriptors, as it was", async () => {
    const error = await failure({ listTools: async () => [{ name: 1 }] });
    expect(error).not.toBeInstanceOf(StepError);
    expect(classify(error).code).toBe("internal");
  });
});
