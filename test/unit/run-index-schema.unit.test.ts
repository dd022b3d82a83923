/**
 * The run index applies its own schema (so a plain `wrangler dev`, which applies no migrations, has
 * the tables it needs); `migrations/` holds the same statements for `wrangler d1 migrations apply`.
 * The two must not drift.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_INDEX_SCHEMA } from "../../src/adapters/d1-run-index";

const normalise = (sql: string) => sql.replace(/\s+/g, " ").trim();

describe("the run index schema", () => {
  it("is the statements of migrations/0001_runs.sql", () => {
    const file = readFileSync(path.join(import.meta.dirname, "../../migrations/0001_runs.sql"), "utf8");
    const statements = file
      .split("\n")
      .filter((line) => !line.trim().startsWith("--"))
      .join("\n")
      .split(";")
      .map(normalise)
      .filter((s) => s !== "");
    expect(statements).toEqual(RUN_INDEX_SCHEMA.map(normalise));
  });

  it("only ever creates if absent, so applying it again changes nothing", () => {
    for (const statement of RUN_INDEX_SCHEMA) expect(statement).toMatch(/^CREATE (TABLE|INDEX) IF NOT EXISTS /);
  });
});
