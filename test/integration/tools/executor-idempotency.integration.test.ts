/**
 * Idempotency on request_id: a redelivered message (sent again, or twice at once) ends in one
 * outcome and one side effect, with a server that would happily do the side effect twice.
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { inspect, newTenant, outcomeOf, toolMessage } from "./helpers";

async function bumpCount(key: string): Promise<number> {
  const body: { count: number } = await (await fetch(`${inject("remoteMcpBase")}/count?key=${key}`)).json();
  return body.count;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

describe("executor idempotency", () => {
  it("a message delivered again after its outcome redelivers the stored outcome, with no second call", async () => {
    const key = crypto.randomUUID();
    const msg = toolMessage({ tool: "remote.bump", args: { key }, scopes: ["runs:write", "tools:remote"], approved: true });
    await env.TOOL_QUEUE.send(msg);
    const first = await outcomeOf(msg);
    await env.TOOL_QUEUE.send(msg);
    await settle();
    expect(await bumpCount(key)).toBe(1);
    const record = await inspect(msg);
    expect(record?.outcome).toEqual(first);
    expect(record?.attempts).toBe(1);
  });

  it("the same message twice at once runs the side effect once", async () => {
    const key = crypto.randomUUID();
    const msg = toolMessage({ tool: "remote.bump", args: { key }, scopes: ["runs:write", "tools:remote"], approved: true });
    await env.TOOL_QUEUE.sendBatch([{ body: msg }, { body: msg }, { body: msg }]);
    const outcome = await outcomeOf(msg);
    await settle();
    expect(outcome.status).toBe("completed");
    expect(await bumpCount(key)).toBe(1);
  });

  it("a redelivered notes.save leaves one note", async () => {
    const tenant_id = newTenant();
    const msg = toolMessage({ tool: "notes.save", args: { title: "t", text: "only once" }, tenant_id, approved: true });
    await env.TOOL_QUEUE.send(msg);
    await outcomeOf(msg);
    await env.TOOL_QUEUE.send(msg);
    await settle();
    const list = toolMessage({ tool: "notes.list", args: {}, tenant_id });
    await env.TOOL_QUEUE.send(list);
    expect(await outcomeOf(list)).toMatchObject({ result: { structuredContent: { notes: [{ text: "only once" }] } } });
  });
});
