/**
 * The hash chain against the contract's rule, computed independently of the code under test: known
 * vectors computed outside this project (Python's hashlib and json with sorted keys and no spaces),
 * and a second implementation here (WebCrypto SHA-256, key sorting by a JSON.stringify replacer).
 */
import { describe, expect, it } from "vitest";
import { ChainVerifier, GENESIS_HASH, canonicalJson, chainHash } from "../../src/engine/hash-chain";

const E1 = {
  run_id: "run_01JTESTRVN0000000000000000",
  seq: 1,
  ts: "2026-11-24T10:00:00.123Z",
  type: "run.started",
  data: { message: 'héllo \u2028 "q"', n: 1.5, nested: { b: [1, { z: null, a: "é" }], a: true } },
  span_id: "sp_1",
};
const E2 = { run_id: "run_01JTESTRVN0000000000000000", seq: 2, ts: "2026-11-24T10:00:00.124Z", type: "output.chunk", data: { text: "Hi", attempt: 1 } };

// python3: hashlib.sha256((prev + json.dumps(e, ensure_ascii=False, separators=(",", ":"), sort_keys=True)).encode()).hexdigest()
const H1 = "d46089a2b20b119a8f1ed9625f77a9def75fd65c3e0720671d79862e1f2a4e84";
const H2 = "b80d68e216e4cf14f11fa70820082dc246627660309b58a185442def1a64a65e";

/** The contract's canonical JSON, written differently: a replacer that rebuilds objects with sorted keys. */
function independentCanonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v,
  );
}

async function webCryptoHash(previous: string, envelope: object): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(previous + independentCanonical(envelope)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("the event hash chain", () => {
  it("matches known vectors of the contract's rule", () => {
    expect(GENESIS_HASH).toBe("0".repeat(64));
    expect(chainHash(GENESIS_HASH, E1)).toBe(H1);
    expect(chainHash(H1, E2)).toBe(H2);
  });

  it("agrees with an independent implementation (WebCrypto, another canonicaliser)", async () => {
    expect(canonicalJson(E1)).toBe(independentCanonical(E1));
    expect(await webCryptoHash(GENESIS_HASH, E1)).toBe(H1);
    expect(await webCryptoHash(H1, E2)).toBe(H2);
  });

  it("drops undefined members wherever they stand, writes undefined array items and holes as null, and keeps empty containers", () => {
    const sparse: unknown[] = [1, 2, 3];
    delete sparse[1];
    const cases: unknown[] = [
      sparse,
      { a: undefined, b: 1 },
      { b: 1, a: undefined },
      { a: 1, b: undefined, c: 2 },
      { only: undefined },
      { x: [undefined, 1, [], {}, { k: undefined }], y: { "k\"ey": "v\u2028", "": 0 } },
      [],
      {},
      [{ z: 1, a: [null, false, "s"] }],
      "plain",
      42,
      null,
    ];
    for (const value of cases) expect(canonicalJson(value)).toBe(independentCanonical(value));
  });

  it("chains each hash to the previous one: the same envelope after another head hashes differently", () => {
    expect(chainHash(H1, E2)).not.toBe(chainHash(GENESIS_HASH, E2));
  });

  it("verifies a valid log and names the first altered, removed or reordered event", () => {
    const valid = [
      { ...E1, hash: H1 },
      { ...E2, hash: H2 },
    ];
    const check = (log: Record<string, unknown>[]) => {
      const verifier = new ChainVerifier();
      for (const envelope of log) verifier.push(envelope);
      return verifier.result();
    };
    expect(check(valid)).toEqual({ valid: true, last_seq: 2, head_hash: H2, first_bad_seq: null });
    expect(check([valid[0]!, { ...valid[1]!, data: { text: "Ho", attempt: 1 } }])).toMatchObject({ valid: false, first_bad_seq: 2 });
    expect(check([{ ...valid[0]!, ts: "2026-11-24T10:00:00.999Z" }, valid[1]!])).toMatchObject({ valid: false, first_bad_seq: 1 });
    expect(check([valid[1]!])).toMatchObject({ valid: false, first_bad_seq: 2 });
    expect(check([valid[1]!, valid[0]!])).toMatchObject({ valid: false });
  });
});
