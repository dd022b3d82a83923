/**
 * The RunState of a queued run (CONTRACT.md: "its `/state` says `status: "queued"` until then").
 * A queued run has no events, so this is not a fold of its log: it is the state its `run.started`
 * will fold to, marked `queued`, with `last_seq` 0. Once the run starts, the fold takes over.
 */
import type { QueuedRun } from "../commands/enqueue";
import { runStartedEvent, screenStart } from "../commands/start";
import type { EngineConfig } from "../config";
import type { RunEvent } from "../events";
import { applyEvent } from "../reducer";
import type { RunState } from "../state";

export function queuedRunState(queued: QueuedRun, config: EngineConfig): RunState {
  // What the queued run will store once it starts: its message as the input layers leave it.
  const started = runStartedEvent(queued, config, screenStart(queued, config).text);
  const envelope = { run_id: queued.run_id, seq: 0, ts: queued.queued_at, type: started.type, data: started.data, hash: "" };
  return { ...applyEvent(null, envelope as unknown as RunEvent), status: "queued", last_seq: 0 };
}
