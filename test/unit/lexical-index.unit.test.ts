/**
 * The lexical index and BM25 across shards: the inverted index counts what a direct count of the
 * texts gives, and BM25 over several shards' candidates equals BM25 over one index holding all
 * their chunks (the property that puts a tenant's shard and the shared shard on one scale).
 */
import { describe, expect, it } from "vitest";
import { BM25_B, BM25_K1, idf, isPair, lexicalQuery, pairBucket, queryTerms, scoreBm25, termCounts } from "../../src/engine/retrieval/lexical";
import type { LexicalCandidates } from "../../src/engine/retrieval/lexical";
import { DenseIndex } from "../../src/engine/retrieval/dense-index";
import { LexicalIndex, PAIR_ID_BASE } from "../../src/engine/retrieval/lexical-index";

const SHARED = [
  "Ports: the api worker listens on port 8787 and the inspector on port 9229.",
  "The local embedder hashes word and character n-grams; it uses no network.",
  "Use the deploy command to upload both workers; use secrets for keys.",
  "Retries use exponential backoff, starting at 500 ms, capped at 30 s.",
  "Which port the inspector uses can be changed with --inspector-port.",
];
const TENANT = ["The Zorblax protocol uses port 7311."];

/** An index over `texts` with its own vocabulary, as a shard builds one from stored counts. */
function indexOf(texts: string[]): LexicalIndex {
  const vocabulary = new Map<string, number>();
  const rows = texts.map((text) => {
    const pairs: number[] = [];
    for (const [term, tf] of termCounts(text).counts) {
      if (isPair(term)) {
        pairs.push(PAIR_ID_BASE + pairBucket(term), tf);
        continue;
      }
      if (!vocabulary.has(term)) vocabulary.set(term, vocabulary.size);
      pairs.push(vocabulary.get(term)!, tf);
    }
    return pairs;
  });
  return LexicalIndex.build(texts.length, vocabulary, (row) => rows[row]!);
}

/** BM25 straight from the definition, over one collection. */
function referenceBm25(texts: string[], query: string): { row: number; score: number }[] {
  const docs = texts.map((t) => termCounts(t));
  const average = docs.reduce((s, d) => s + d.length, 0) / docs.length;
  return docs
    .map((doc, row) => {
      let score = 0;
      for (const term of queryTerms(query)) {
        const tf = doc.counts.get(term) ?? 0;
        if (tf === 0) continue;
        const df = docs.filter((d) => d.counts.has(term)).length;
        score += idf(docs.length, df) * ((tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * doc.length) / average)));
      }
      return { row, score };
    })
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.row - b.row);
}

function candidates(index: LexicalIndex, name: string, query: string, depth = 10): LexicalCandidates {
  const { df, hits } = index.search(queryTerms(query), depth);
  return { chunks: index.rows, length: index.length, df, hits: hits.map((h) => ({ id: `${name}${h.row}`, length: h.length, tf: h.tf })) };
}

describe("lexical index", () => {
  it("counts each query term's chunks and frequencies as a direct count does, and ranks by BM25", () => {
    const index = indexOf(SHARED);
    const terms = queryTerms("which port does the inspector use");
    const { df, hits } = index.search(terms, 10);
    expect(terms).toEqual(["port", "inspector", "use"]);
    expect(df).toEqual(terms.map((t) => SHARED.filter((s) => termCounts(s).counts.has(t)).length));
    for (const hit of hits) expect(hit.tf).toEqual(terms.map((t) => termCounts(SHARED[hit.row]!).counts.get(t) ?? 0));
    expect(hits.map((h) => h.row)).toEqual(referenceBm25(SHARED, "which port does the inspector use").map((r) => r.row));
    expect(index.search(terms, 2).hits).toHaveLength(2);
    expect(index.search(["nowhere"], 5)).toEqual({ df: [0], hits: [] });
  });

  it("scores shards together exactly as one index of all their chunks (global statistics)", () => {
    const query = "which port does zorblax use";
    const split = scoreBm25([candidates(indexOf(SHARED), "s", query), candidates(indexOf(TENANT), "t", query)]);
    const whole = referenceBm25([...SHARED, ...TENANT], query);
    expect(split.map((s) => s.id)).toEqual(whole.map((w) => (w.row < SHARED.length ? `s${w.row}` : `t${w.row - SHARED.length}`)));
    split.forEach((s, i) => expect(s.score).toBeCloseTo(whole[i]!.score, 6));
    // The tenant's one chunk holds the rarest term of the question: it is first.
    expect(split[0]?.id).toBe("t0");
  });

  it("scored shard by shard, the one-document shard's chunk would lose (the bug this prevents)", () => {
    const query = "which port does zorblax use";
    const shared = scoreBm25([candidates(indexOf(SHARED), "s", query)]);
    const tenant = scoreBm25([candidates(indexOf(TENANT), "t", query)]);
    const merged = [...shared, ...tenant].sort((a, b) => b.score - a.score);
    expect(merged[0]?.id).not.toBe("t0");
  });

  it("ranks a phrase above the same words apart, through pairs of adjacent terms", () => {
    const texts = ["Dev mode: every request is treated as tenant dev; dev mode is for local work.", "Week 7: Dev Patel owns the pilot and reports on it monthly."];
    const index = indexOf(texts);
    const query = lexicalQuery("What does Dev Patel own?", 0);
    expect(query.terms).toContain("dev patel");
    const { df, hits } = index.search(query.terms, 5, query.weights);
    expect(df[query.terms.indexOf("dev patel")]).toBe(1);
    expect(hits[0]?.row).toBe(1);
    // A pair does not lengthen its chunk: the length is the number of terms.
    expect(hits.find((h) => h.row === 1)?.length).toBe(termCounts(texts[1]!).length);
  });

  it("keeps rows in 16 bits up to 65,536 rows and caps a frequency at 255", () => {
    const vocabulary = new Map([["x", 0], ["y", 1]]);
    const index = LexicalIndex.build(3, vocabulary, (row) => (row === 1 ? [0, 300, 1, 2] : [1, 1]));
    expect(index.search(["x", "y"], 5)).toMatchObject({ df: [1, 3], hits: [{ row: 1, tf: [255, 2] }, {}, {}] });
    expect(() => LexicalIndex.build(1, vocabulary, () => [7, 1])).toThrow(RangeError);
  });
});

describe("memory of a shard's index", () => {
  it("stays under what the Float32 vectors alone took, per 10,000 chunks", () => {
    // 10,000 chunks of 80 distinct terms and 90 distinct pairs each (what a 1,000-character chunk
    // of prose makes) over a vocabulary of 18,000 terms, and 512-dimension vectors (the local embedder's).
    const rows = 10_000;
    const vocabulary = new Map(Array.from({ length: 18_000 }, (_, i) => [`t${i}`, i] as const));
    const counts = (row: number) => [
      ...Array.from({ length: 80 }, (_, i) => [(row * 7 + i * 113) % 18_000, 1 + (i % 3)]).flat(),
      ...Array.from({ length: 90 }, (_, i) => [PAIR_ID_BASE + ((row * 7919 + i * 104_729) % (1 << 18)), 1]).flat(),
    ];
    const lexical = LexicalIndex.build(rows, vocabulary, counts);
    const vector = Float32Array.from({ length: 512 }, (_, d) => Math.sin(d) / 16);
    const dense = DenseIndex.build(rows, 512, () => vector);
    const float32Matrix = rows * 512 * 4;
    expect(dense.bytes + lexical.bytes).toBeLessThan(0.75 * float32Matrix);
  });
});
