import { describe, expect, it } from "vitest";
import { callRun } from "../../src/worker/routes/runs";
import type { AppContext } from "../../src/worker/router";

const principal = { tenant_id: "acme", user_id: "ann", scopes: [] };
const RUN = "run_01JTESTRVN0000000000000000";

/** A context whose run namespace hands out a new stub per call, counting them. */
function contextWith(call: (attempt: number) => unknown) {
  let stubs = 0;
  const namespace = { idFromName: (name: string) => ({ toString: () => name }), idFromString: (id: string) => id, get: () => ({ attempt: ++stubs }) };
  const c = { env: { RUN_OBJECT: namespace } } as unknown as AppContext;
  return { c, stubs: () => stubs, run: () => callRun(c, principal, RUN, async (stub) => call((stub as unknown as { attempt: number }).attempt)) };
}

function platformError(flags: { retryable?: boolean; overloaded?: boolean }) {
  return Object.assign(new Error("Durable Object reset because its code was updated."), flags);
}

describe("calling a run object from the worker", () => {
  it("retries a retryable failure with a fresh stub", async () => {
    const t = contextWith((attempt) => {
      if (attempt < 3) throw platformError({ retryable: true });
      return "ok";
    });
    expect(await t.run()).toBe("ok");
    expect(t.stubs()).toBe(3);
  });

  it("gives up after three attempts, and never retries an overloaded object or an ordinary error", async () => {
    const always = contextWith(() => {
      throw platformError({ retryable: true });
    });
    await expect(always.run()).rejects.toThrow(/reset/);
    expect(always.stubs()).toBe(3);
    const overloaded = contextWith(() => {
      throw platformError({ retryable: true, overloaded: true });
    });
    await expect(overloaded.run()).rejects.toThrow();
    expect(overloaded.stubs()).toBe(1);
    const plain = contextWith(() => {
      throw new Error("boom");
    });
    await expect(plain.run()).rejects.toThrow("boom");
    expect(plain.stubs()).toBe(1);
  });
});
