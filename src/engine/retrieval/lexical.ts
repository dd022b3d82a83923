/**
 * The lexical half of hybrid retrieval: turning a free-text question into a SQLite FTS5 query.
 * Every meaningful word becomes a quoted term (so no user text is ever read as FTS5 syntax) and
 * the terms are OR-ed, letting BM25 rank chunks by how many rare terms they share with the query.
 */
import { queryWords } from "./text";

/** The FTS5 MATCH expression for `query`, or null when it has no searchable word. */
export function ftsMatchExpression(query: string, maxTerms = 32): string | null {
  const words = queryWords(query).slice(0, maxTerms);
  if (words.length === 0) return null;
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" OR ");
}
