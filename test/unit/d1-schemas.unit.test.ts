/**
 * The D1 indexes apply their own schema (so a plain `wrangler dev`, which applies no migrations, has
 * the tables it needs); `migrations/` holds the same statements for `wrangler d1 migrations apply`.
 * The two must not drift, and applying a schema again must change nothing.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_INDEX_SCHEMA } from "../../src/adapters/d1-run-index";
import { THREAD_INDEX_SCHEMA } from "../../src/adapters/d1-thread-index";

const normalise = (sql: string) => sql.replace(/\s+/g, " ").trim();

/** The statements of a migration file, comments left out. */
function migration(name: string): string[] {
  return readFileSync(path.join(import.meta.dirname, "../../migrations", name), "utf8")
    .split("\n")
    .filter((line) => !line.trim().startsWith("--"))
    .join("\n")
    .split(";")
    .map(normalise)
    .filter((s) => s !== "");
}

describe.each([
  { index: "run index", file: "0001_runs.sql", schema: RUN_INDEX_SCHEMA },
  { index: "thread index", file: "0002_threads.sql", schema: THREAD_INDEX_SCHEMA },
])("the $index schema", ({ file, schema }) => {
  it(`is the statements of migrations/${file}`, () => {
    expect(migration(file)).toEqual(schema.map(normalise));
  });

  it("only ever creates if absent, so applying it again changes nothing", () => {
    for (const statement of schema) expect(statement).toMatch(/^CREATE (TABLE|INDEX) IF NOT EXISTS /);
  });
});
