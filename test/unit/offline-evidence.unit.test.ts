import { describe, expect, it } from "vitest";
import { pickEvidence, sameWord, sentencesOf } from "../../src/engine/model/offline-evidence";

const chunk = (id: string, title: string, text: string) => ({ id, text, score: 1, metadata: { title } });

describe("the offline model's choice of evidence", () => {
  it("quotes the sentences that answer the question and leaves out chunks that do not", () => {
    const picks = pickEvidence("How long does Zorblax take to ripen?", [
      chunk("c1", "Zorblax", "# Zorblax\n\nZorblax is a blue fruit from Mount Quill. It ripens in 41 days."),
      chunk("c2", "Errors", "| status | code |\n| --- | --- |\n| 400 | invalid_request |"),
      chunk("c3", "Plans", "Upgrades take effect immediately. Downgrades wait for the period to end."),
    ]);
    expect(picks.map((p) => [p.chunk.id, p.sentences])).toEqual([
      ["c1", ["Zorblax is a blue fruit from Mount Quill.", "It ripens in 41 days."]],
      ["c3", ["Upgrades take effect immediately."]],
    ]);
  });

  it("keeps to three sentences, best first across chunks, read in order within a chunk", () => {
    const picks = pickEvidence("retry backoff policy for failed steps", [
      chunk("a", "Durability", "Steps are checkpointed. A failed step is retried with backoff. The retry policy caps the backoff."),
      chunk("b", "Overview", "The engine retries failed steps. It streams events."),
    ]);
    expect(picks.flatMap((p) => p.sentences)).toHaveLength(3);
    expect(picks[0]?.sentences).toEqual(["A failed step is retried with backoff.", "The retry policy caps the backoff."]);
  });

  it("matches words by a shared stem and ignores headings, tables and code", () => {
    expect(sameWord("ripens", "ripen")).toBe(true);
    expect(sameWord("retried", "retry")).toBe(true);
    expect(sameWord("expired", "expire")).toBe(true);
    expect(sameWord("take", "takes")).toBe(true);
    expect(sameWord("policy", "policies")).toBe(true);
    expect(sameWord("cat", "cut")).toBe(false);
    expect(sameWord("plan", "planet")).toBe(false);
    expect(sentencesOf("# Title\n\nOne. Two!\n\n```\ncode.\n```\n| a | b |")).toEqual(["One.", "Two!"]);
    expect(pickEvidence("hello there", [chunk("x", "X", "Nothing about greetings.")])).toEqual([]);
  });
});
