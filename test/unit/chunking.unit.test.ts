import { describe, expect, it } from "vitest";
import { chunkMarkdown, contextualText, identifyChunks } from "../../src/engine/retrieval/chunking";

const DOC = `# Guide

Intro paragraph.

## Install

Run the installer.

\`\`\`sh
# not a heading
npm ci
\`\`\`

### Linux

Use the tarball.

## Usage

Call the API.
`;

const long = (n: number, word = "lorem") => Array.from({ length: n }, (_, i) => `${word}${i}.`).join(" ");

describe("chunkMarkdown", () => {
  it("keeps the heading path as context and ignores # inside fenced code", () => {
    const chunks = chunkMarkdown(DOC);
    expect(chunks.map((c) => c.heading_path)).toEqual([["Guide"], ["Guide", "Install"], ["Guide", "Install", "Linux"], ["Guide", "Usage"]]);
    expect(chunks[1]?.text).toContain("# not a heading");
    expect(chunks.map((c) => c.ordinal)).toEqual([0, 1, 2, 3]);
  });

  it("bounds chunk size and overlaps consecutive chunks of a section", () => {
    const text = `# Big\n\n${long(200)}\n\n${long(200, "ipsum")}`;
    const chunks = chunkMarkdown(text, { maxChars: 300, overlapChars: 60 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(300);
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]?.text ?? "";
      const firstWord = chunks[i]?.text.split(/\s+/)[0] ?? "";
      // The next chunk starts with words from the end of the previous one.
      expect(prev.slice(-80)).toContain(firstWord);
    }
    // Nothing is lost: every word appears in some chunk.
    const all = chunks.map((c) => c.text).join(" ");
    for (const w of ["lorem0.", "lorem199.", "ipsum0.", "ipsum199."]) expect(all).toContain(w);
  });

  it("cuts a single overlong word rather than looping", () => {
    const chunks = chunkMarkdown(`x${"y".repeat(1000)}`, { maxChars: 100, overlapChars: 0 });
    expect(chunks.length).toBe(11);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(100);
  });

  it("rejects options that cannot make progress", () => {
    expect(() => chunkMarkdown("x", { maxChars: 10, overlapChars: 0 })).toThrow(RangeError);
    expect(() => chunkMarkdown("x", { maxChars: 100, overlapChars: 60 })).toThrow(RangeError);
  });
});

describe("identifyChunks", () => {
  it("gives stable content-hash ids; an edit changes only the edited section's ids", () => {
    const before = identifyChunks("shared", "guide", chunkMarkdown(DOC));
    const again = identifyChunks("shared", "guide", chunkMarkdown(DOC));
    expect(again.map((c) => c.id)).toEqual(before.map((c) => c.id));
    const edited = identifyChunks("shared", "guide", chunkMarkdown(DOC.replace("Use the tarball.", "Use the package.")));
    const changed = edited.filter((c, i) => c.id !== before[i]?.id);
    expect(changed.map((c) => c.heading_path.at(-1))).toEqual(["Linux"]);
    for (const c of before) expect(c.id).toMatch(/^ck_[0-9a-f]{24}$/);
  });

  it("differs by namespace and document, and separates identical chunks in one document", () => {
    const chunks = chunkMarkdown("# A\n\nsame\n\n# A\n\nsame\n");
    const ids = identifyChunks("shared", "d", chunks).map((c) => c.id);
    expect(new Set(ids).size).toBe(2);
    expect(identifyChunks("tenant:x", "d", chunks)[0]?.id).not.toBe(ids[0]);
    expect(identifyChunks("shared", "e", chunks)[0]?.id).not.toBe(ids[0]);
  });
});

describe("contextualText", () => {
  it("prefixes the title and heading path once", () => {
    const [chunk] = chunkMarkdown("# Guide\n\n## Install\n\nRun it.");
    expect(contextualText("Guide", chunk!)).toBe("Guide > Install\n\nRun it.");
    expect(contextualText("Other", chunk!)).toBe("Other > Guide > Install\n\nRun it.");
  });
});
