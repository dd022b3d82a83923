import { describe, expect, it } from "vitest";
import type { Embedder } from "../../src/engine/ports";
import { DenseIndex } from "../../src/engine/retrieval/dense-index";
import { EXPANSION_WEIGHT, PAIR_WEIGHT, lexicalQuery, queryTerms } from "../../src/engine/retrieval/lexical";
import type { LexicalCandidates } from "../../src/engine/retrieval/lexical";
import { denseWeight, fuseShards, reciprocalRankFusion } from "../../src/engine/retrieval/ranking";
import { topK } from "../../src/engine/retrieval/top-k";
import { EmbedderMismatchError, assertSameEmbedder, embedTagged, fromBlob, normalize, toBlob } from "../../src/engine/retrieval/vectors";

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
  /** `rows` pseudo-random unit vectors of `dims` dimensions, row-major. */
  function unitRows(rows: number, dims: number, seed: number): Float32Array[] {
    return Array.from({ length: rows }, (_, row) => normalize(Float32Array.from({ length: dims }, (_, d) => Math.sin((row * dims + d + seed) * 12.9898) * 43758.5453 % 1)));
  }
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

  it("topK keeps the k best of an array in order, ties by row, as a full sort does", () => {
    const scores = Float64Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i * 7.77) * 20) / 4);
    const full = [...scores].map((score, row) => ({ row, score })).sort((a, b) => b.score - a.score || a.row - b.row);
    for (const k of [1, 5, 37, 500, 600]) expect(topK(scores, k)).toEqual(full.slice(0, k));
    expect(topK(scores, 0)).toEqual([]);
    // Restricted to some rows: the same order over those rows only.
    const some = [400, 3, 250, 17, 99];
    expect(topK(scores, 3, scores.length, some)).toEqual(full.filter((r) => some.includes(r.row)).slice(0, 3));
  });

  it("the dense index returns the rows of highest cosine, within the 8-bit rounding of each score", () => {
    const dims = 64;
    const vectors = unitRows(300, dims, 1);
    const index = DenseIndex.build(vectors.length, dims, (row) => vectors[row]!);
    for (const query of unitRows(20, dims, 99)) {
      const exact = vectors.map((v, row) => ({ row, score: dot(v, query) })).sort((a, b) => b.score - a.score);
      const top = index.topK(query, 10);
      expect(top).toHaveLength(10);
      top.forEach((t, i) => {
        expect(Math.abs(t.score - dot(vectors[t.row]!, query))).toBeLessThan(0.01);
        // Rank i holds a row whose exact score is within the rounding of the i-th exact score.
        expect(Math.abs(t.score - exact[i]!.score)).toBeLessThan(0.01);
      });
    }
    // A sparse query (most dimensions zero) scores the same as a dense computation.
    const sparse = new Float32Array(dims);
    sparse[3] = 0.6;
    sparse[40] = -0.8;
    const [best] = index.topK(sparse, 1);
    const exactBest = vectors.map((v, row) => ({ row, score: dot(v, sparse) })).sort((a, b) => b.score - a.score)[0]!;
    expect(Math.abs(best!.score - exactBest.score)).toBeLessThan(0.01);
    expect(() => index.topK(new Float32Array(dims + 1), 3)).toThrow(RangeError);
  });

  it("reciprocal rank fusion scores a chunk first in every ranking as 1", () => {
    const fused = reciprocalRankFusion([
      [{ id: "a", score: 9 }, { id: "b", score: 1 }],
      [{ id: "a", score: 0.9 }, { id: "c", score: 0.8 }],
    ]);
    expect(fused[0]).toEqual({ id: "a", score: 1 });
    expect(fused.map((f) => f.id)).toEqual(["a", "b", "c"]);
  });

  it("fuseShards merges dense scores as they are, scores BM25 over all shards together, and honours the mode", () => {
    const chunk = (id: string) => ({ id });
    // Two query terms; the shared shard has 99 chunks, the tenant's one.
    const sharedLexical: LexicalCandidates = {
      chunks: 99, length: 99 * 50, df: [40, 0],
      hits: [{ id: "s2", length: 50, tf: [3, 0] }],
    };
    const tenantLexical: LexicalCandidates = { chunks: 1, length: 10, df: [1, 1], hits: [{ id: "t1", length: 10, tf: [1, 1] }] };
    const shared = { dense: [{ id: "s1", score: 0.9 }, { id: "s2", score: 0.5 }], lexical: sharedLexical, chunks: { s1: chunk("s1"), s2: chunk("s2") } };
    const tenant = { dense: [{ id: "t1", score: 0.7 }], lexical: tenantLexical, chunks: { t1: chunk("t1") } };
    expect(fuseShards([shared, tenant], 3, { mode: "dense" }).map((r) => r.chunk.id)).toEqual(["s1", "t1", "s2"]);
    // t1 holds the term no other chunk has: over both shards it is rare, and it ranks first.
    expect(fuseShards([shared, tenant], 3, { mode: "lexical" }).map((r) => r.chunk.id)).toEqual(["t1", "s2"]);
    const hybrid = fuseShards([shared, tenant], 2);
    expect(hybrid.map((r) => r.chunk.id)).toEqual(["t1", "s2"]);
    expect(hybrid[0]?.score).toBeLessThanOrEqual(1);
  });
});

describe("weighted fusion", () => {
  it("with the dense ranking at weight 0 keeps the lexical order, then adds dense-only chunks in dense order", () => {
    const dense = [{ id: "d1", score: 0.9 }, { id: "l2", score: 0.8 }, { id: "d2", score: 0.7 }];
    const lexical = [{ id: "l1", score: 9 }, { id: "l2", score: 8 }, { id: "l3", score: 7 }];
    expect(reciprocalRankFusion([dense, lexical], 60, [0, 1]).map((r) => r.id)).toEqual(["l1", "l2", "l3", "d1", "d2"]);
    // Equal weights: l2, in both rankings, comes first.
    expect(reciprocalRankFusion([dense, lexical], 60, [1, 1])[0]?.id).toBe("l2");
  });

  it("gives the local embedder's cosine no weight and a model's full weight", () => {
    expect(denseWeight("local-ngram-v1-c3")).toBe(0);
    expect(denseWeight("workers-ai:@cf/baai/bge-base-en-v1.5")).toBe(1);
    expect(denseWeight("openai:text-embedding-3-small")).toBe(1);
  });
});

describe("query terms", () => {
  it("are the distinct content terms, stemmed as the index stems them; none left is empty", () => {
    expect(queryTerms('What is the "retry" policy? NEAR(x) OR -y, retries')).toEqual(["retry", "policy", "near", "x", "y"]);
    expect(queryTerms("which port does zorblax use")).toEqual(["port", "zorblax", "use"]);
    expect(queryTerms("what is the")).toEqual([]);
  });

  it("a lexical query adds the thesaurus relatives of its words at a reduced weight, after its own", () => {
    const { terms, weights } = lexicalQuery("How do I abort a run?");
    expect(terms.slice(0, 2)).toEqual(["abort", "run"]);
    expect(weights.slice(0, 2)).toEqual([1, 1]);
    expect(terms).toContain("cancel");
    expect(weights[terms.indexOf("cancel")]).toBe(EXPANSION_WEIGHT);
    expect(new Set(terms).size).toBe(terms.length);
    // Without expansion: the own terms, then the pair of adjacent terms at PAIR_WEIGHT.
    expect(lexicalQuery("How do I abort a run?", 0)).toEqual({ terms: ["abort", "run", "abort run"], weights: [1, 1, PAIR_WEIGHT] });
  });
});
