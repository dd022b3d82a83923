/**
 * The commands as pure decisions (commands/*.ts), and the rules that only a decision taken at the
 * right moment can show: an approval that arrives after its expiry but before the expiry alarm ran,
 * a cancel of a run that already failed, the token budget charged by every model call.
 */
import { describe, expect, it } from "vitest";
import { decideApproval } from "../../src/engine/commands/approve";
import { decideCancel } from "../../src/engine/commands/cancel";
import { StepError } from "../../src/engine/errors";
import { OfflineModel } from "../../src/engine/model/offline";
import type { ModelClient, ModelRequest, ModelResponse } from "../../src/engine/ports";
import { instant } from "../../src/engine/transitions";
import { Harness, T0 } from "../support/engine-harness";

/** The offline model's answers, charged as if each call used `tokens` input and output tokens. */
class HungryModel implements ModelClient {
  readonly provider = "offline";
  private readonly inner = new OfflineModel();
  constructor(private readonly tokens: number) {}
  modelFor() {
    return "hungry-1";
  }
  async complete(request: ModelRequest, onDelta?: (t: string) => void): Promise<ModelResponse> {
    const response = await this.inner.complete(request, onDelta);
    return { ...response, usage: { input_tokens: this.tokens, output_tokens: this.tokens } };
  }
}

describe("an approval decision", () => {
  it("that arrives after the request expired, before the expiry alarm ran, is a conflict and dispatches nothing", async () => {
    const h = new Harness({ config: { approvalTtlMs: 10_000 } });
    await h.start({ message: "remember: the code is 1234" });
    const requestId = h.store.state()!.tool_requests[0]!.request_id;
    // Time passes, but the alarm has not run yet: the request is still marked awaiting approval.
    h.clock.t = T0 + 10_000;
    expect(h.store.state()!.tool_requests[0]!.status).toBe("awaiting_approval");
    const reply = await h.runtime.run("approve", { request_id: requestId, decision: "approve", reason: null, user_id: "bob" });
    expect(reply).toEqual({ outcome: "conflict", reason: expect.stringContaining("expired") });
    expect(h.types()).not.toContain("approval.recorded");
    await h.settle();
    expect(h.dispatched).toHaveLength(0);
    expect(h.store.state()?.denials[0]?.reason).toMatch(/^approval expired/);
  });

  it("is decided from the state alone: the same view and input give the same decision", () => {
    const h = new Harness();
    return h.start({ message: "remember: x" }).then(() => {
      const view = h.runtime.view();
      const requestId = view.state!.tool_requests[0]!.request_id;
      const input = { request_id: requestId, decision: "approve" as const, reason: "ok", user_id: "bob" };
      const ctx = { now: instant(T0 + 5), config: h.runtime.deps.config, ids: h.runtime.deps.ids };
      const a = decideApproval(view, input, ctx);
      const b = decideApproval(view, input, ctx);
      expect(a).toEqual(b);
      expect(a.commit?.events?.map((e) => e.type)).toEqual(["approval.recorded", "workflow.resumed"]);
      expect(a.commit?.outbox ?? []).toEqual([]);
      expect(a.effects).toEqual([{ kind: "resume" }]);
    });
  });
});

describe("cancel", () => {
  it("of a run that already failed is a conflict and writes nothing", async () => {
    const h = new Harness({
      model: { provider: "offline", modelFor: () => "x", complete: () => Promise.reject(StepError.terminal("model_auth", "bad key")) },
    });
    await h.start({ message: "Hello" });
    expect(h.status()).toBe("failed");
    const before = h.rawLog();
    expect(await h.runtime.run("cancel", { user_id: "ann" })).toEqual({ outcome: "conflict", reason: "the run has already ended (failed)" });
    expect(h.rawLog()).toEqual(before);
    expect(decideCancel(h.runtime.view(), { user_id: "ann" }, { now: instant(T0), config: h.runtime.deps.config, ids: h.runtime.deps.ids }).commit).toBeUndefined();
  });

  it("settles the outstanding dispatches of a waiting run, so nothing is re-sent", async () => {
    const h = new Harness({ config: { toolResendMs: 500 } });
    await h.start({ message: "What is 5 * 5?" });
    expect(h.store.pendingEffects().some((item) => item.effect.kind === "tool.dispatch")).toBe(true);
    await h.runtime.run("cancel", { user_id: "ann" });
    expect(h.store.pendingEffects().filter((item) => item.effect.kind === "tool.dispatch")).toEqual([]);
    await h.advance(10_000);
    expect(h.dispatched).toHaveLength(1);
  });
});

describe("the token budget", () => {
  it("is charged by every model call; past it the run is degraded and optional calls are skipped", async () => {
    const h = new Harness({ model: new HungryModel(600), config: { maxTokens: 1_000 } });
    await h.start({ message: "Tell me about ports", mode: "research" });
    expect(h.status()).toBe("completed");
    const exceeded = h.events().filter((e) => e.type === "budget.exceeded");
    expect(exceeded.map((e) => e.data)).toEqual([{ budget: "tokens", limit: 1_000, used: 1_200 }]);
    expect(h.store.state()?.budget.tokens).toEqual({ limit: 1_000, used: 1_200 });
    // Research mode would regenerate an ungrounded answer once; with no tokens left it does not.
    expect(h.types().filter((t) => t === "output.reset")).toHaveLength(0);
    expect(h.events().at(-1)?.data).toMatchObject({ degraded: true });
  });

  it("is not exceeded by calls within it", async () => {
    const h = new Harness({ model: new HungryModel(10), config: { maxTokens: 1_000 } });
    await h.start({ message: "Hello" });
    expect(h.types()).not.toContain("budget.exceeded");
    expect(h.store.state()?.budget.tokens.used).toBe(20);
    expect(h.events().at(-1)?.data).toMatchObject({ degraded: false });
  });
});
