/**
 * The event catalogue promises nothing the engine does not do: every catalogued type is emitted by
 * some code, except those listed as not yet emitted, and those are emitted by none.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, NOT_YET_EMITTED } from "../../src/engine/events";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

const SRC = path.join(import.meta.dirname, "../../src");
const emitted = new Set(
  sources(SRC)
    .filter((file) => !file.endsWith(path.join("engine", "events.ts")))
    // `newEvent("type", …)` in the run engine; `{ type: "…", data }` appended by the knowledge log.
    .flatMap((file) => [...readFileSync(file, "utf8").matchAll(/(?:newEvent\(\s*|\{ type: )"([a-z_.]+)"/g)].map((m) => m[1])),
);

describe("the event catalogue", () => {
  it("lists only types that some code emits, but for those marked as not yet emitted", () => {
    const missing = EVENT_TYPES.filter((type) => !NOT_YET_EMITTED.has(type) && !emitted.has(type));
    expect(missing).toEqual([]);
  });

  it("marks as not yet emitted only types that no code emits", () => {
    expect([...NOT_YET_EMITTED].filter((type) => emitted.has(type))).toEqual([]);
  });
});
