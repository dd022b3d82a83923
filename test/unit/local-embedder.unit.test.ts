import { describe, expect, it } from "vitest";
import { createLocalEmbedder, embedLocal } from "../../src/engine/retrieval/local-embedder";
import { stem, terms } from "../../src/engine/retrieval/text";

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * (b[i] ?? 0), 0);

describe("local embedder", () => {
  it("is deterministic, unit length and of the promised dimension", async () => {
    const embedder = createLocalEmbedder();
    const [a, b] = await embedder.embed(["Approvals expire after 15 minutes.", "Approvals expire after 15 minutes."]);
    expect(a).toEqual(b);
    expect(a?.length).toBe(embedder.dimensions);
    expect(dot(a!, a!)).toBeCloseTo(1, 5);
    expect(embedder.id).toBe("local-ngram-v1-c3");
  });

  it("scores related texts above unrelated ones, through inflections", () => {
    const doc = embedLocal("An approval request stays open for 15 minutes before it expires.");
    const related = embedLocal("How long do approvals stay open before expiring?");
    const unrelated = embedLocal("Invoices are issued in US dollars or euros.");
    expect(dot(doc, related)).toBeGreaterThan(dot(doc, unrelated) + 0.1);
  });

  it("gives an all-stop-word text the zero vector rather than NaN", () => {
    const v = embedLocal("the and of");
    expect([...v].every((x) => x === 0)).toBe(true);
  });
});

describe("text analysis", () => {
  it("folds case and accents, drops stop words, stems inflections", () => {
    expect(terms("The Limits were LIMITING café")).toEqual(["limit", "limit", "cafe"]);
    expect(stem("approvals")).toBe("approval");
    expect(stem("retries")).toBe("retry");
    expect(stem("v2")).toBe("v2");
  });
});
