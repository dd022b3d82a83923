/**
 * A replay with no Workers runtime at all: the recorded run re-executed on the in-memory journal.
 * `npm run replay -- FILE.jsonl` and the engine's unit tests use it; an exported run from any
 * deployment (recorded with any model) replays here at no model cost.
 */
import { DEFAULT_CONFIG } from "../config";
import type { EngineConfig } from "../config";
import { createIds, seededRandom } from "../ids";
import { MemoryRunStore } from "../memory-run-store";
import { OfflineModel } from "../model/offline";
import type { Clock, Logger, ModelClient } from "../ports";
import { NO_PROBE } from "../runtime/deps";
import { RunRuntime } from "../runtime/run-runtime";
import type { ReplayOutcome } from "./driver";
import type { RecordedLog } from "./recording";
import { indexRecording } from "./recording";
import { recordedStart, replayParts, replayStartInput } from "./setup";

const silent: Logger = { log: () => {}, child: () => silent };

export interface InMemoryReplay extends ReplayOutcome {
  /** The replay's own log, as JSON lines. */
  log: string[];
}

export interface InMemoryReplayOptions {
  config?: EngineConfig;
  logger?: Logger;
  /** The engine's offline model (a test passes a changed one to see a replay diverge). */
  offline?: ModelClient;
}

export async function replayInMemory(recording: RecordedLog, options: InMemoryReplayOptions = {}): Promise<InMemoryReplay> {
  const index = indexRecording(recording);
  const started = recordedStart(recording);
  let clock: Clock = { now: () => Date.parse(started.ts), sleep: async () => {} };
  const store = new MemoryRunStore({ now: () => clock.now(), sleep: (ms) => clock.sleep(ms) });
  const background: Promise<unknown>[] = [];
  const { deps, driver } = replayParts({
    log: recording,
    index,
    store,
    config: options.config ?? DEFAULT_CONFIG,
    offline: options.offline ?? new OfflineModel(),
    ids: createIds(() => clock.now(), seededRandom(1)),
    logger: options.logger ?? silent,
    effects: { upsertIndex: async () => {} },
    scheduler: { arm: async () => {}, clear: async () => {} },
    background: (task) => void background.push(task.catch(() => {})),
    probe: NO_PROBE,
  });
  clock = deps.clock;
  const runtime = new RunRuntime(deps);
  driver.attach(runtime);
  await runtime.run("start", replayStartInput(started.run_id, started, recording));
  const outcome = await driver.run();
  await Promise.all(background);
  return { ...outcome, log: store.eventsAfter(0, Number.MAX_SAFE_INTEGER).map((row) => row.json) };
}
