/**
 * `npm run replay -- FILE.jsonl [FILE.jsonl ...]`: replays exported runs (GET /runs/{id}/export)
 * offline, on the in-memory journal, against their recorded world, and says for each whether the
 * engine as it is now writes the same log. Exits 1 at the first divergence (it prints the seq, the
 * recorded event and the one written instead), 2 when a file cannot be read as a run.
 */
import { readFileSync } from "node:fs";
import { replayInMemory } from "../src/engine/replay/in-memory";
import { ArrayRecording } from "../src/engine/replay/recording";

const files = process.argv.slice(2).filter((arg) => !arg.startsWith("-"));
if (files.length === 0) {
  console.error("usage: npm run replay -- FILE.jsonl [FILE.jsonl ...]   (a run exported with GET /runs/{id}/export)");
  process.exit(2);
}

let failures = 0;
for (const file of files) {
  let recording: ArrayRecording;
  try {
    recording = ArrayRecording.fromJsonLines(readFileSync(file, "utf8"));
  } catch (error) {
    console.error(`${file}: not a run's log: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const started = Date.now();
  const result = await replayInMemory(recording);
  const ms = Date.now() - started;
  if (result.identical) {
    console.log(`${file}: identical, ${result.events} events replayed in ${ms} ms`);
    continue;
  }
  failures += 1;
  const at = result.diverged;
  console.log(`${file}: DIVERGED at seq ${at?.seq ?? "?"} (after ${result.events} events, ${ms} ms)`);
  console.log(`  recorded: ${JSON.stringify(at?.expected ?? null)}`);
  console.log(`  replayed: ${JSON.stringify(at?.actual ?? null)}`);
}
process.exit(failures > 0 ? 1 : 0);
