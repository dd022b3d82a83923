/**
 * Heading detection must stay linear in the length of a line: a document is up to 1 MiB and comes
 * from any key with `knowledge:write`, so one long heading line must not stall the shard.
 */
import { describe, expect, it } from "vitest";
import { chunkMarkdown } from "../../src/engine/retrieval/chunking";
import { firstHeading, prepareDocument } from "../../src/engine/retrieval/documents";

/** A heading line whose title is followed by a long run of blanks and then more text. */
const LONG_HEADING = `# a${" ".repeat(2_000)}x`;

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
}

describe("markdown headings with long runs of blanks", () => {
  it("chunks a 2 KB heading line in milliseconds (no regex backtracking)", () => {
    const { value, ms } = timed(() => chunkMarkdown(`${LONG_HEADING}\n\nbody text`));
    expect(value[0]?.heading_path[0]?.startsWith("a")).toBe(true);
    expect(ms).toBeLessThan(200);
  });

  it("finds a document's title in milliseconds", () => {
    const { value, ms } = timed(() => firstHeading(`${LONG_HEADING}\n\nbody`));
    expect(value).toBe(`a${" ".repeat(2_000)}x`.trim());
    expect(ms).toBeLessThan(200);
  });

  it("prepares a document (what POST /knowledge/documents does) in milliseconds", () => {
    const { value, ms } = timed(() => prepareDocument("tenant:t", { text: `${LONG_HEADING}\n\nbody` }, "api"));
    expect(value.chunks.map((c) => c.text)).toEqual([expect.stringContaining("body")]);
    expect(ms).toBeLessThan(200);
  });

  it("keeps the titles it found before", () => {
    expect(firstHeading("# Zorblax ##\n\ntext")).toBe("Zorblax");
    expect(firstHeading("intro\n# Title with # inside #  \nmore")).toBe("Title with # inside");
    expect(firstHeading("## Not level one\n# Level one")).toBe("Level one");
    expect(chunkMarkdown("# A\n\none\n\n## B ###\n\ntwo").map((c) => c.heading_path)).toEqual([["A"], ["A", "B"]]);
    expect(chunkMarkdown("####### seven\n\ntext").map((c) => c.heading_path)).toEqual([[]]);
    expect(chunkMarkdown("#nospace\n\ntext").map((c) => c.heading_path)).toEqual([[]]);
  });
});
