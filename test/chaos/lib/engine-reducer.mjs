/**
 * The engine's own reducer and event schemas (src/engine/reducer.ts, src/engine/events.ts), loaded
 * through tsx's loader API so that the harness stays plain Node. `/state` must equal the fold of the
 * log by the very function the engine folds with; the schemas check every event's data.
 */
import path from "node:path";
import { tsImport } from "tsx/esm/api";

export async function loadEngine(root) {
  const state = await tsImport(path.join(root, "src/engine/reducer.ts"), import.meta.url);
  const events = await tsImport(path.join(root, "src/engine/events.ts"), import.meta.url);
  for (const [name, fn] of [
    ["foldEvents", state.foldEvents],
    ["parseEvent", events.parseEvent],
  ]) {
    if (typeof fn !== "function") throw new Error(`the engine no longer exports ${name}: update test/chaos/lib/engine-reducer.mjs`);
  }
  return { foldEvents: state.foldEvents, parseEvent: events.parseEvent };
}
