/**
 * The contract's hash rule, recomputed here independently of the engine's own code (a checker that
 * shared the engine's implementation would share its bugs): each event's `hash` is the lower-case
 * hex SHA-256 of the previous hash (64 zeros for seq 1) concatenated with the canonical JSON of the
 * envelope without `hash`: object keys sorted at every depth, no whitespace.
 */
import { createHash } from "node:crypto";

export const GENESIS = "0".repeat(64);

export function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => canonical(item)).join(",")}]`;
  const keys = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
}

/** The first seq whose hash does not follow the rule, or null when the whole log chains. */
export function firstBrokenLink(events) {
  let previous = GENESIS;
  for (const event of events) {
    const { hash, ...rest } = event;
    const expected = createHash("sha256").update(previous + canonical(rest)).digest("hex");
    if (hash !== expected) return { seq: event.seq, expected, actual: hash };
    previous = hash;
  }
  return null;
}
