import { describe, expect, it } from "vitest";
import { pickEvidence, sameWord, sectionsOf, sentencesOf } from "../../src/engine/model/offline-evidence";

const chunk = (id: string, title: string, text: string) => ({ id, text, score: 1, metadata: { title } });

describe("the offline model's choice of evidence", () => {
  it("quotes the sentences that answer the question and leaves out chunks that do not", () => {
    const picks = pickEvidence("How long does Zorblax take to ripen?", [
      chunk("c1", "Zorblax", "# Zorblax\n\nZorblax is a blue fruit from Mount Quill. It ripens in 41 days."),
      chunk("c2", "Errors", "| status | code |\n| --- | --- |\n| 400 | invalid_request |"),
      chunk("c3", "Plans", "Upgrades take effect immediately. Downgrades wait for the period to end."),
    ]);
    // "take" is the only word the plans chunk shares with the question: that is no evidence.
    expect(picks.map((p) => [p.chunk.id, p.sentences])).toEqual([["c1", ["Zorblax is a blue fruit from Mount Quill.", "It ripens in 41 days."]]]);
  });

  it("weighs a word the fewer chunks contain it, and counts what the rest of a sentence's chunk is about", () => {
    const picks = pickEvidence("How do I start a run?", [
      chunk("ap", "Approvals", "A side-effecting call waits for a decision. When it expires, the call is not made and the run continues."),
      chunk("st", "Starting a run", "# Starting a run\n\nA run is started with `POST /runs`. Its answer is `201`."),
    ]);
    expect(picks.map((p) => [p.chunk.id, p.sentences])).toEqual([["st", ["A run is started with `POST /runs`."]]]);
  });

  it("reads the first sentence under a heading as speaking to it, the chunk's heading path included", () => {
    const resuming = {
      id: "r",
      text: "A client that loses its connection reconnects with a `Last-Event-ID: N` header. A value that is not an integer is rejected.",
      score: 1,
      metadata: { title: "Event streaming", heading_path: ["Event streaming", "Resuming after a disconnect"] },
    };
    const picks = pickEvidence("How do I resume a stream after a disconnect?", [
      chunk("f", "Event streaming", "Clients follow a run with `GET /runs/{run_id}/events`, a stream that replays the log."),
      resuming,
    ]);
    expect(picks.map((p) => [p.chunk.id, p.sentences])).toEqual([["r", ["A client that loses its connection reconnects with a `Last-Event-ID: N` header."]]]);
    // A chunk the chunker began with its overlap starts mid-sentence: that fragment gets no heading.
    const continued = { id: "c", text: "rather long sentence with several words in it. Something else.", score: 1, metadata: { heading_path: ["Policies", "Refunds"] } };
    const refunds = chunk("d", "Money", "Refunds are paid within 5 days.");
    expect(pickEvidence("How do refunds work?", [continued, refunds]).map((p) => p.chunk.id)).toEqual(["d"]);
    expect(sectionsOf("Intro.\n\n## Resuming\n\nFirst. Second.\n\n## Empty\n")).toEqual([
      { heading: "", sentences: ["Intro."] },
      { heading: "Resuming", sentences: ["First.", "Second."] },
      { heading: "Empty", sentences: [] },
    ]);
  });

  it("keeps to three sentences, best first across chunks, read in order within a chunk", () => {
    const picks = pickEvidence("retry backoff policy for failed steps", [
      chunk("a", "Durability", "Steps are checkpointed. A failed step is retried with backoff. The retry policy caps the backoff."),
      chunk("b", "Retries", "A failed step's retry follows the backoff policy. The engine retries failed steps. It streams events."),
    ]);
    expect(picks.flatMap((p) => p.sentences)).toHaveLength(3);
    expect(picks.map((p) => [p.chunk.id, p.sentences])).toEqual([
      ["a", ["A failed step is retried with backoff.", "The retry policy caps the backoff."]],
      ["b", ["A failed step's retry follows the backoff policy."]],
    ]);
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
    // Inline code keeps its dots, no text between two sentence marks is lost, and private-use
    // characters (icon fonts) stay what they are; "#hashtag" is prose, not a heading.
    expect(sentencesOf("Price\uE000 is 5\uE001 Done. #hashtag is fun.")).toEqual(["Price\uE000 is 5\uE001 Done.", "#hashtag is fun."]);
    expect(sentencesOf('Send `{"id": "tr_01J...", "decision": "approve"}`. It is v1.2 now... Really?')).toEqual([
      'Send `{"id": "tr_01J...", "decision": "approve"}`.',
      "It is v1.2 now...",
      "Really?",
    ]);
    expect(pickEvidence("hello there", [chunk("x", "X", "Nothing about greetings.")])).toEqual([]);
  });
});
