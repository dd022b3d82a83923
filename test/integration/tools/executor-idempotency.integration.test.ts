/**
 * Idempotency on request_id: a redelivered or re-sent message ends in one outcome and one side
 * effect, with a server that would happily do the side effect twice, whether it arrives while the
 * first attempt holds the request, after it finished, or after it died mid-call (its lease ran out
 * with no outcome: the ledger left as a killed executor leaves it, through TEST_CALL_LEDGER).
 */
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { runObjectName } from "../../../src/engine/ids";
import type { ToolRequestMessage } from "../../../src/engine/tool-protocol";
import { inspect, newRunId, newTenant, outcomeOf, toolMessage } from "./helpers";

/** The first attempt of `msg` claims it for `leaseMs` and then dies: no outcome is ever recorded. */
async function firstAttemptDies(msg: ToolRequestMessage, leaseMs = 200): Promise<void> {
  const ledger = env.TEST_CALL_LEDGER.getByName(runObjectName(msg.tenant_id, msg.run_id));
  await ledger.claim({ request_id: msg.request_id, tenant_id: msg.tenant_id, run_id: msg.run_id, tool: msg.tool }, Date.now(), leaseMs);
  await new Promise((resolve) => setTimeout(resolve, leaseMs + 50));
}

async function bumpCount(key: string): Promise<number> {
  const body: { count: number } = await (await fetch(`${inject("remoteMcpBase")}/count?key=${key}`)).json();
  return body.count;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

/** Waits until each message's request has been delivered `count` times (its re-sends redelivered). */
async function waitForDeliveries(messages: ToolRequestMessage[], count: number): Promise<void> {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const records = await Promise.all(messages.map((msg) => inspect(msg)));
    if (records.every((record) => (record?.deliveries.length ?? 0) >= count)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the requests were not delivered ${count} times`);
}

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

  it("after the first attempt died mid-call, a side effect that does not dedupe is not repeated: tool_outcome_unknown", async () => {
    const key = crypto.randomUUID();
    const msg = toolMessage({ tool: "remote.bump", args: { key }, scopes: ["runs:write", "tools:remote"], approved: true });
    await firstAttemptDies(msg);
    await env.TOOL_QUEUE.send(msg);
    expect(await outcomeOf(msg)).toMatchObject({ status: "failed", error: { code: "tool_outcome_unknown" }, retryable: false });
    await settle();
    expect(await bumpCount(key)).toBe(0);
    expect((await inspect(msg))?.attempts).toBe(2);
  });

  it("after the first attempt died mid-call, notes.save (which dedupes on the request id) runs again: one note", async () => {
    const tenant_id = newTenant();
    const msg = toolMessage({ tool: "notes.save", args: { text: "after a death" }, tenant_id, approved: true });
    await firstAttemptDies(msg);
    await env.TOOL_QUEUE.sendBatch([{ body: msg }, { body: msg }]);
    expect(await outcomeOf(msg)).toMatchObject({ status: "completed", result: { structuredContent: { text: "after a death" } } });
    await settle();
    const list = toolMessage({ tool: "notes.list", args: {}, tenant_id });
    await env.TOOL_QUEUE.send(list);
    expect(await outcomeOf(list)).toMatchObject({ result: { structuredContent: { notes: [{ text: "after a death" }] } } });
  });

  it("counts distinct request ids for the per-run call limit, however often each is re-sent", async () => {
    const run_id = newRunId();
    const messages = Array.from({ length: 6 }, (_, i) => toolMessage({ tool: "calculator.evaluate", args: { expression: `${i}+1` }, run_id, call_index: 1 }));
    const [fifth, sixth] = [messages[4] as ToolRequestMessage, messages[5] as ToolRequestMessage];
    const first4 = messages.slice(0, 4);
    // Each of the first four is sent three times: once, then twice more as re-sends after its outcome.
    await env.TOOL_QUEUE.sendBatch(first4.map((body) => ({ body })));
    await Promise.all(first4.map((msg) => outcomeOf(msg)));
    await env.TOOL_QUEUE.sendBatch([...first4, ...first4].map((body) => ({ body })));
    await waitForDeliveries(first4, 3);

    // Twelve messages so far, four requests: the fifth request is still within the limit of five.
    await env.TOOL_QUEUE.send(fifth);
    expect(await outcomeOf(fifth)).toMatchObject({ status: "completed" });
    expect((await inspect(fifth))?.ordinal).toBe(5);
    await env.TOOL_QUEUE.send(sixth);
    expect(await outcomeOf(sixth)).toMatchObject({ status: "denied", reason: "firewall: call 6 exceeds the limit of 5 tool calls per run" });
  });
});
