/**
 * The thread index applies its own schema (as the run index does), and migrations/0002_threads.sql
 * holds the same statements for `wrangler d1 migrations apply`. The two must not drift.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { THREAD_INDEX_SCHEMA } from "../../src/adapters/d1-thread-index";

const normalise = (sql: string) => sql.replace(/\s+/g, " ").trim();

describe("the thread index schema", () => {
  it("is the statements of migrations/0002_threads.sql, each applied only if absent", () => {
    const file = readFileSync(path.join(import.meta.dirname, "../../migrations/0002_threads.sql"), "utf8");
    const statements = file
      .split("\n")
      .filter((line) => !line.trim().startsWith("--"))
      .join("\n")
      .split(";")
      .map(normalise)
      .filter((s) => s !== "");
    expect(statements).toEqual(THREAD_INDEX_SCHEMA.map(normalise));
    for (const statement of THREAD_INDEX_SCHEMA) expect(statement).toMatch(/^CREATE (TABLE|INDEX) IF NOT EXISTS /);
  });
});
