import { describe, expect, it } from "vitest";
import type { Embedder } from "../../src/engine/ports";
import { fuseShards, reciprocalRankFusion, topKDot } from "../../src/engine/retrieval/ranking";
import { EmbedderMismatchError, assertSameEmbedder, embedTagged, fromBlob, normalize, toBlob } from "../../src/engine/retrieval/vectors";
import { ftsMatchExpression } from "../../src/engine/retrieval/lexical";

describe("vectors", () => {
  it("round-trips through a Float32 blob of 4 bytes a dimension", () => {
    const v = Float32Array.from([0.5, -1.25, 3e-8, 7]);
    const blob = toBlob(v);
    expect(blob.byteLength).toBe(16);
    expect(fromBlob(blob, 4)).toEqual(v);
    expect(() => fromBlob(blob, 3)).toThrow(RangeError);
  });

  it("treats vectors of another embedder or dimension as incomparable", () => {
    const a = { embedder: "local-ngram-v1-c3", dimensions: 512 };
    expect(() => assertSameEmbedder(a, { ...a })).not.toThrow();
    expect(() => assertSameEmbedder(a, { ...a, embedder: "workers-ai:@cf/baai/bge-base-en-v1.5" })).toThrow(EmbedderMismatchError);
    const error = (() => {
      try {
        assertSameEmbedder(a, { ...a, dimensions: 256 });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ code: "embedder_mismatch", retryable: false });
  });

  it("checks that an embedder returns what it promised", async () => {
    const liar: Embedder = { id: "liar", dimensions: 3, embed: async (t) => t.map(() => new Float32Array(2)) };
    await expect(embedTagged(liar, ["x"])).rejects.toThrow(/2 dimensions, not 3/);
    const short: Embedder = { id: "short", dimensions: 2, embed: async () => [] };
    await expect(embedTagged(short, ["x"])).rejects.toThrow(/0 vectors for 1 texts/);
    const ok: Embedder = { id: "ok", dimensions: 2, embed: async (t) => t.map(() => normalize(Float32Array.from([3, 4]))) };
    const [tagged] = await embedTagged(ok, ["x"]);
    expect(tagged).toMatchObject({ embedder: "ok", dimensions: 2 });
    expect(tagged?.values[0]).toBeCloseTo(0.6, 6);
  });
});

describe("ranking", () => {
  it("topKDot returns the k best rows in order, equal to a full sort", () => {
    const dims = 4;
    const rows = 50;
    const matrix = new Float32Array(rows * dims);
    for (let i = 0; i < matrix.length; i++) matrix[i] = Math.sin(i * 12.9898) * 0.5;
    const query = Float32Array.from([0.3, -0.2, 0.9, 0.1]);
    const full = Array.from({ length: rows }, (_, row) => ({ row, score: [0, 1, 2, 3].reduce((s, i) => s + (matrix[row * dims + i] ?? 0) * (query[i] ?? 0), 0) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 7);
    const top = topKDot(matrix, dims, query, 7);
    expect(top.map((t) => t.row)).toEqual(full.map((t) => t.row));
    expect(topKDot(matrix, dims, query, 0)).toEqual([]);
  });

  it("reciprocal rank fusion scores a chunk first in every ranking as 1", () => {
    const fused = reciprocalRankFusion([
      [{ id: "a", score: 9 }, { id: "b", score: 1 }],
      [{ id: "a", score: 0.9 }, { id: "c", score: 0.8 }],
    ]);
    expect(fused[0]).toEqual({ id: "a", score: 1 });
    expect(fused.map((f) => f.id)).toEqual(["a", "b", "c"]);
  });

  it("fuseShards merges shards by score before fusing, and honours the mode", () => {
    const chunk = (id: string) => ({ id });
    const shared = { dense: [{ id: "s1", score: 0.9 }, { id: "s2", score: 0.5 }], lexical: [{ id: "s2", score: 8 }], chunks: { s1: chunk("s1"), s2: chunk("s2") } };
    const tenant = { dense: [{ id: "t1", score: 0.7 }], lexical: [{ id: "t1", score: 9 }, { id: "s9", score: 1 }], chunks: { t1: chunk("t1") } };
    expect(fuseShards([shared, tenant], 3, "dense").map((r) => r.chunk.id)).toEqual(["s1", "t1", "s2"]);
    expect(fuseShards([shared, tenant], 3, "lexical").map((r) => r.chunk.id)).toEqual(["t1", "s2"]);
    const hybrid = fuseShards([shared, tenant], 2);
    // t1 and s2 are in both rankings; s1 only in one; s9 has no chunk and is skipped.
    expect(hybrid.map((r) => r.chunk.id)).toEqual(["t1", "s2"]);
    expect(hybrid[0]?.score).toBeLessThanOrEqual(1);
  });
});

describe("lexical query", () => {
  it("quotes every meaningful word and ORs them; none left is null", () => {
    expect(ftsMatchExpression('What is the "retry" policy? NEAR(x) OR -y')).toBe('"retry" OR "policy" OR "near" OR "x" OR "y"');
    expect(ftsMatchExpression("what is the")).toBeNull();
  });
});
