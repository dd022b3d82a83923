/**
 * Failures the executor must end cleanly: a hanging tool, an oversized result, a server that is
 * briefly down (retried through the Queue), one that stays down (dead-lettered), and the dead-letter
 * consumer itself. TOOL_TIMEOUT_MS is 2 s in the tests.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { runObjectName } from "../../../src/engine/ids";
import type { ToolRequestMessage } from "../../../src/engine/tool-protocol";
import { inspect, outcomeOf, run, toolMessage } from "./helpers";

/** Leaves the request claimed by an attempt that holds it for `leaseMs` (and, once that ran out, died). */
async function claimedByAnotherAttempt(msg: ToolRequestMessage, leaseMs: number): Promise<void> {
  const ledger = env.TEST_CALL_LEDGER.getByName(runObjectName(msg.tenant_id, msg.run_id));
  await ledger.claim({ request_id: msg.request_id, tenant_id: msg.tenant_id, run_id: msg.run_id, tool: msg.tool }, Date.now(), leaseMs);
}

const REMOTE = ["runs:write", "tools:remote"];
/** The next `n` calls whose arguments contain `marker` answer 503. */
const failNext = async (marker: string, n: number) => {
  await fetch(`${inject("remoteMcpBase")}/fail-next?match=${marker}&n=${n}`, { method: "POST" });
};

// The first run object of a test file loads its modules through the test pool's on-demand
// transform (seconds); a delivery waits for it and holds the Queue's next batch. Timing tests below
// must not pay for that.
beforeAll(async () => {
  await env.RUN_OBJECT.getByName(runObjectName("warm-up", "run_00000000000000000000000000")).getWorkflow();
});

describe("executor failures", () => {
  it("ends a tool that hangs past its timeout in failed tool_timeout", async () => {
    const started = Date.now();
    const { outcome } = await run({ tool: "remote.sleep", args: { ms: 10_000 }, scopes: REMOTE });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "tool_timeout" }, retryable: true });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(6_000);
  });

  it("shortens the timeout to the run's deadline", async () => {
    // Shorter than TOOL_TIMEOUT_MS (2 s), with room for the Queue to deliver the message on a loaded machine.
    const deadline_at = new Date(Date.now() + 1_600).toISOString();
    const { outcome } = await run({ tool: "remote.sleep", args: { ms: 10_000 }, scopes: REMOTE, deadline_at });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "tool_timeout" } });
    if (outcome.status === "failed") expect(Number(/within (\d+) ms/.exec(outcome.error.message)?.[1])).toBeLessThanOrEqual(1_600);
  });

  it("passes on a result of exactly MAX_RESULT_BYTES (4096), not one byte more", async () => {
    // The result is `{"content":[{"type":"text","text":"x..."}]}`: 39 bytes around the text.
    const { outcome: atLimit } = await run({ tool: "remote.big", args: { size: 4096 - 39 }, scopes: REMOTE });
    expect(atLimit.status).toBe("completed");
    const { outcome } = await run({ tool: "remote.big", args: { size: 4097 - 39 }, scopes: REMOTE });
    expect(outcome).toMatchObject({
      status: "failed",
      error: { code: "result_too_large", message: "result of 4097 bytes exceeds the limit of 4096 bytes" },
      retryable: false,
    });
  });

  it("retries a read-only call through the Queue when its server is briefly down", async () => {
    const text = crypto.randomUUID();
    await failNext(text, 1);
    const { msg, outcome } = await run({ tool: "remote.echo", args: { text }, scopes: REMOTE });
    expect(outcome).toMatchObject({ status: "completed", result: { content: [{ type: "text", text }] } });
    expect((await inspect(msg))?.attempts).toBe(2);
  });

  it("does not repeat a side-effecting call whose server failed: tool.server.error at once", async () => {
    const key = crypto.randomUUID();
    await failNext(key, 1);
    const { msg, outcome } = await run({ tool: "remote.bump", args: { key }, scopes: REMOTE, approved: true });
    expect(outcome).toMatchObject({ status: "server_error", server: "remote", error: { code: "server_unreachable" } });
    expect((await inspect(msg))?.attempts).toBe(1);
  });

  it("ends a read-only call whose server stays down in tool.server.error through the dead-letter queue", async () => {
    const text = crypto.randomUUID();
    await failNext(text, 100);
    // max_retries 3 with backoff 1, 2, 4 s, then the dead-letter consumer ends it.
    const deadline_at = new Date(Date.now() + 60_000).toISOString();
    const { msg, outcome } = await run({ tool: "remote.echo", args: { text }, scopes: REMOTE, deadline_at }, 20_000);
    expect(outcome).toMatchObject({ status: "server_error", server: "remote", error: { code: "server_unreachable" } });
    expect((await inspect(msg))?.attempts).toBe(4);
  });

  it("the dead-letter consumer ends a request that never got an outcome in failed", async () => {
    const msg = toolMessage({ tool: "calculator.evaluate", args: { expression: "1" } });
    await env.TEST_DEAD_LETTERS.send(msg);
    expect(await outcomeOf(msg)).toMatchObject({ status: "failed", error: { code: "tool_dead_lettered" }, retryable: false });
  });

  it("the dead-letter consumer keeps an outcome that already stands", async () => {
    const { msg, outcome } = await run({ tool: "calculator.evaluate", args: { expression: "6*7" } });
    await env.TEST_DEAD_LETTERS.send(msg);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await inspect(msg))?.outcome).toEqual(outcome);
  });

  it("the dead-letter consumer records nothing for a request an attempt still holds: that attempt's outcome stands", async () => {
    const msg = toolMessage({ tool: "notes.save", args: { text: "in flight" }, approved: true });
    await claimedByAnotherAttempt(msg, 60_000);
    await env.TEST_DEAD_LETTERS.send(msg);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await inspect(msg)).toMatchObject({ outcome: null, attempts: 1 });
  });

  it("the dead-letter consumer ends a request whose attempt died mid-call in tool_outcome_unknown, not 'could not be completed'", async () => {
    const msg = toolMessage({ tool: "notes.save", args: { text: "died" }, approved: true });
    await claimedByAnotherAttempt(msg, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await env.TEST_DEAD_LETTERS.send(msg);
    expect(await outcomeOf(msg)).toMatchObject({ status: "failed", error: { code: "tool_outcome_unknown" }, retryable: false });
  });
});
