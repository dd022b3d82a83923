/**
 * A step's calls outside the object follow what it committed (DESIGN.md rule 3, with a store that
 * writes at the end of the turn): each call to a port that does I/O writes the unwritten commits
 * first; the in-process offline model does not need it.
 */
import { describe, expect, it } from "vitest";
import { LiveStepContext } from "../../src/engine/runtime/step-context";
import { OfflineModel } from "../../src/engine/model/offline";

function contextWith(order: string[], model: object) {
  const store = { flush: () => order.push("flush") };
  const port = (name: string) => ({
    count: async () => {
      order.push(`${name}.count`);
      return 3;
    },
    search: async () => {
      order.push(`${name}.search`);
      return [];
    },
    list: async () => {
      order.push(`${name}.list`);
      return [];
    },
    moderate: async () => {
      order.push(`${name}.moderate`);
      return { flagged: false };
    },
  });
  const deps = {
    store,
    model,
    moderator: port("moderator"),
    retriever: port("retriever"),
    catalog: port("catalog"),
    logger: { child: () => ({}) },
  };
  return new LiveStepContext(deps as never, () => {}, "retrieve", 1, "sp_1", 1, new AbortController().signal);
}

describe("a step's ports", () => {
  it("write what the run committed before each call that leaves the object", async () => {
    const order: string[] = [];
    const remote = {
      provider: "openai",
      modelFor: () => "gpt",
      complete: async () => {
        order.push("model.complete");
        return {};
      },
    };
    const ctx = contextWith(order, remote);
    await ctx.retriever.search({} as never);
    await ctx.catalog.list("dev");
    await ctx.moderator!.moderate({} as never);
    await ctx.model.complete({} as never);
    expect(order).toEqual(["flush", "retriever.search", "flush", "catalog.list", "flush", "moderator.moderate", "flush", "model.complete"]);
    // Plain properties are read as they are.
    expect(ctx.model.provider).toBe("openai");
  });

  it("read the knowledge count without writing first: a read, mostly from a cache, not worth a commit", async () => {
    const order: string[] = [];
    const ctx = contextWith(order, new OfflineModel());
    expect(await ctx.retriever.count("acme")).toBe(3);
    await ctx.retriever.search({} as never);
    expect(order).toEqual(["retriever.count", "flush", "retriever.search"]);
  });

  it("leave the offline model as it is: it answers inside the object", async () => {
    const order: string[] = [];
    const offline = new OfflineModel();
    const ctx = contextWith(order, offline);
    expect(ctx.model).toBe(offline);
    expect(order).toEqual([]);
  });
});
