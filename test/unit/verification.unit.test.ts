/** verifyAnswer: good answers pass however they write the evidence's facts; bad ones are caught. */
import { describe, expect, it } from "vitest";
import { EVENT_DATA, newEvent } from "../../src/engine/events";
import { verifyAnswer, type VerificationInput } from "../../src/engine/verification";

const ZORBLAX =
  "# Zorblax\n\nZorblax is a fictional mineral discovered by Dr. Ada Quill in the Vantor Basin on 3 May 2021. " +
  "A single crystal weighs 1,250 grams and sells for $3.50 per gram. Annual production reached 1.2 million " +
  "tonnes in 2023, from three mines. The ore is graded by the “Quill scale”; version 2.4.1 of the grading " +
  "manual took effect at 09:30 on 2022-01-15. Density: 3.14159 g/cm3. See https://example.org/zorblax for more.";

const evidence: Omit<VerificationInput, "answer"> = {
  message: "Tell me about Zorblax. Is 12 * (3 + 4) relevant?",
  chunks: [{ id: "c1", text: ZORBLAX, metadata: { title: "Zorblax", heading_path: ["Zorblax", "Vantor Mining Guild"] } }],
  toolResults: [
    {
      tool: "calculator.evaluate",
      status: "completed",
      args: { expression: "12 * (3 + 4)" },
      result: { content: [{ type: "text", text: "84" }], structuredContent: { value: 84 } },
    },
    { tool: "github.get_repo", status: "completed", args: { owner: "acme", repo: "rocket" }, result: { stars: 0.1 + 0.2 } },
  ],
};

const check = (answer: string, options?: { requireCitations?: boolean }) => verifyAnswer({ ...evidence, answer }, options);

describe("answers the evidence supports", () => {
  it.each([
    ["numbers written another way", "A crystal weighs 1250 grams and costs $3.5 a gram [chunk:c1]."],
    ["a date written another way", "Dr. Ada Quill found Zorblax in the Vantor Basin on May 3rd, 2021 [chunk:c1]."],
    ["a date as ISO", "Zorblax was discovered on 2021-05-03."],
    ["a date as day/month/year", "It was found on 03/05/2021."],
    ["a month and year implied by a full date", "It was found in May 2021, and the manual changed in January 2022."],
    ["a year implied by a full date", "It has been known since 2021."],
    ["a scaled number spelled out", "Production reached 1,200,000 tonnes in 2023."],
    ["a number the evidence spells as a word", "It comes from 3 mines."],
    ["a rounded decimal", "Its density is about 3.14 g/cm3, and the repository has 0.3 stars."],
    ["a tool result", "12 * (3 + 4) = 84."],
    ["the user's own numbers", "You asked whether 12 * (3 + 4) matters: it is 84."],
    ["names, possessives and hyphenated names", "Ada Quill's discovery made the Vantor-Basin famous; Zorblax-based products followed."],
    ["names from chunk metadata", "The Vantor Mining Guild keeps the records."],
    ["quoted terms, versions, times and links", "Ore is graded on the \"Quill scale\" (manual 2.4.1, from 09:30); see https://example.org/zorblax."],
    ["a markdown list with a heading", "## Zorblax At A Glance\n\n1. Weight: 1,250 grams.\n2. Price: $3.50 per gram.\n3) Mines: three."],
    ["small talk with no claims", "Hello! How can I help you today? Sure, I'd be glad to explain."],
    ["farewells and thanks", "Goodbye! Bye for now. Welcome back. Cheers, and good luck."],
    ["sentence starters that are not names", "However, Zorblax is fictional. Interestingly, it sells well. Based on the evidence, yes."],
    [
      "a typical model answer with markdown",
      "Based on the knowledge base, Zorblax is a fictional mineral [chunk:c1]. It was discovered by Dr. Ada Quill in the " +
        "Vantor Basin in 2021. Here's a quick summary:\n\n- **Weight:** 1,250 grams per crystal\n- **Price:** $3.50 per " +
        "gram\n- **Production:** about 1.2 million tonnes (2023)\n\nLet me know if you'd like more details!",
    ],
    ["a tool-based answer", "I used the calculator: 12 × (3 + 4) is **84**. GitHub reports that acme/rocket has 0.3 stars."],
    ["a refusal-style answer", "Sorry, I couldn't save the note because it needs approval. Please approve it and try again."],
    ["code blocks are left alone", "Compute it like this:\n```python\nprint(12 * 7 + 99)\n```\nThe answer is 84."],
  ])("%s", (_label, answer) => {
    const result = check(answer);
    expect(result.issues).toEqual([]);
    expect(result.passed).toBe(true);
  });
});

describe("answers with unsupported claims", () => {
  it.each([
    ["an invented year", "Zorblax was discovered in 2019.", ["the number “2019”"]],
    ["an invented price", "It sells for $4.50 per gram.", ["the number “$4.50”"]],
    ["a wrong tool result", "12 * (3 + 4) = 85.", ["the number “85”"]],
    ["an integer rounded (integers must match)", "A crystal weighs 1,000 grams.", ["the number “1,000”"]],
    ["a scaled number rounded wrongly", "Production reached 1.3 million tonnes.", ["the number “1.3 million”"]],
    ["a wrong date", "It was discovered on June 3, 2021.", ["the date “June 3, 2021”"]],
    ["a wrong month and year", "It was found in April 2021.", ["the date “April 2021”"]],
    ["an invented person", "Zorblax was discovered by Marie Curie.", ["the name “Marie Curie”"]],
    ["an invented place at the start of a sentence", "Atlantis is where Zorblax was found.", ["the name “Atlantis”"]],
    ["an invented quote", "Miners call it \"the blue stone\".", ["the quoted text “the blue stone”"]],
    ["an invented link", "Read https://example.org/other.", ["the link “https://example.org/other”"]],
    ["an invented version", "Use manual 3.0.0.", ["the value “3.0.0”"]],
  ])("%s", (_label, answer, expected) => {
    const result = check(answer);
    expect(result.passed).toBe(false);
    expect(result.issues).toHaveLength(expected.length);
    for (const [index, start] of expected.entries()) expect(result.issues[index]).toMatch(new RegExp(`^${escape(start)}`));
  });

  it("a citation of a chunk that was not retrieved is an issue", () => {
    const result = check("Zorblax is a mineral [chunk:c1][chunk:made-up].");
    expect(result.issues).toEqual(["the citation [chunk:made-up] names no retrieved chunk"]);
  });

  it("research mode requires citations when chunks were retrieved", () => {
    expect(check("Zorblax is a fictional mineral.", { requireCitations: true }).issues).toEqual([
      "the answer cites none of the 1 retrieved chunks; cite each fact's source as [chunk:<id>]",
    ]);
    expect(check("Zorblax is a fictional mineral [chunk:c1].", { requireCitations: true }).passed).toBe(true);
    expect(verifyAnswer({ answer: "Nothing found.", message: "x", chunks: [], toolResults: [] }, { requireCitations: true }).passed).toBe(true);
  });

  it("with no evidence at all, a factual claim is unsupported", () => {
    const result = verifyAnswer({ answer: "The capital of France is Paris.", message: "capital of france?", chunks: [], toolResults: [] });
    expect(result.issues).toEqual([
      "the name “Paris” is not in the retrieved documents, the tool results or the user's message",
    ]);
  });

  it("names each unsupported claim once, in the order the answer makes them", () => {
    const result = check("Marie Curie found 7 crystals. Marie Curie sold 7 of them in Paris.");
    expect(result.checked.unsupported).toEqual([
      { kind: "number", claim: "7" },
      { kind: "name", claim: "Marie Curie" },
      { kind: "name", claim: "Paris" },
    ]);
  });
});

describe("checked", () => {
  it("says what was examined and against what", () => {
    const result = check("Dr. Ada Quill found Zorblax on 3 May 2021 [chunk:c1]; it costs $3.50, or \"Quill scale\" 17.");
    expect(result.checked).toMatchObject({
      numbers: ["$3.50", "17"],
      dates: ["3 May 2021"],
      names: expect.arrayContaining(["Ada Quill", "Zorblax"]),
      quoted: ["Quill scale"],
      citations: ["c1"],
      unsupported: [{ kind: "number", claim: "17" }],
      evidence: { chunks: 1, tool_results: 2, message: true },
    });
    expect(result.checked.claims).toBe(result.checked.supported + 1);
  });
});

it("is exactly the data of a verification.completed event", () => {
  const result = check("Marie Curie found 7 crystals [chunk:c1].");
  const event = newEvent("verification.completed", result);
  expect(EVENT_DATA["verification.completed"].parse(event.data)).toEqual(result);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
