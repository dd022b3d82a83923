/**
 * A D1 table that creates itself: statements run as they are, and only a statement that fails
 * because its table does not exist yet applies the schema (idempotent `CREATE … IF NOT EXISTS`)
 * and runs once more. So the engine works however `wrangler dev` was started (with or without
 * `wrangler d1 migrations apply`), and a deployed index pays nothing for it: checking the schema
 * up front cost every run object four statements, since each object has its own binding.
 */

function missingTable(error: unknown): boolean {
  return /no such table/i.test(error instanceof Error ? error.message : String(error));
}

export async function withSchema<T>(db: D1Database, schema: readonly string[], statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if (!missingTable(error)) throw error;
    await db.batch(schema.map((text) => db.prepare(text)));
    return statement();
  }
}
