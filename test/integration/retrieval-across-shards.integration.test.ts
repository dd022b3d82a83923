/**
 * Ranking across shards, through the real api worker with API keys: a tenant's one-document shard
 * beside the shared shard of bundled documents. Issue 8 part 3: a natural question about the
 * tenant's new document must find it, though its shard's own lexical statistics are degenerate.
 */
import { describe, expect, it } from "vitest";
import { keyed } from "../support/keys";

interface Found {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

async function search(q: string, k = 5): Promise<Found[]> {
  const response = await keyed(`/knowledge/search?k=${k}&q=${encodeURIComponent(q)}`, { key: "root" });
  expect(response.status).toBe(200);
  return ((await response.json()) as { chunks: Found[] }).chunks;
}

describe("ranking across the shared shard and a tenant's shard", () => {
  it("finds a tenant's new one-document shard by a natural question (the zorblax case)", async () => {
    const posted = await keyed("/knowledge/documents", {
      key: "root",
      method: "POST",
      json: { document_id: "zorblax", title: "Zorblax protocol", text: "# Zorblax protocol\n\nThe Zorblax protocol uses port 7311.\n" },
    });
    expect(posted.status).toBe(202);
    const found = await search("which port does zorblax use");
    expect(found.map((c) => c.metadata.document_id)).toContain("zorblax");
    expect(found[0]?.text).toBe("The Zorblax protocol uses port 7311.");
    // One chunk holds the word: BM25 ranks it first and the vectors fill the other four places.
    const named = await search("zorblax");
    expect(named.map((c) => c.metadata.document_id)).toEqual(["zorblax", expect.any(String), expect.any(String), expect.any(String), expect.any(String)]);
  });
});
