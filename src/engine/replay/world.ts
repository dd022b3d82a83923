/**
 * The recorded world a replay runs against: ports that answer from a recording instead of from the
 * providers. The clock reads the timestamp of the event the run is about to write; request ids are
 * the ones the run drew; retrieval returns the chunks it retrieved; a model other than the offline
 * one (which is engine code, so a replay runs it for real and a change to it shows) streams back
 * the chunks it streamed and answers what it answered; the tool catalogue is the one the log shows.
 * Tool outcomes, approvals, cancels and failures are commands and injections: see driver.ts.
 *
 * `position()` is the seq of the last event the replay has written; the recording is read just
 * past it.
 */
import type { Capability, Clock, Ids, ModelClient, ModelRequest, ModelResponse, RecordedOutputVerdicts, Retriever, ToolCatalog } from "../ports";
import type { RecordedVerdict } from "../guardrail-events";
import { ToolDescriptor } from "../tool-protocol";
import type { RecordedLog, RecordingIndex } from "./recording";

export interface ReplayPorts {
  clock: Clock;
  ids: Ids;
  model: ModelClient;
  retriever: Retriever;
  catalog: ToolCatalog;
}

/** A call the recording says never answered (its step failed or crashed): it waits for its step to be stopped. */
function never<T>(signal: AbortSignal): Promise<T> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

export interface ReplayWorldOptions {
  log: RecordedLog;
  index: RecordingIndex;
  position: () => number;
  /** The engine's own offline model: replayed for real when the run used it. */
  offline: ModelClient;
  /** Fresh ids for what a replay does not compare (span ids). */
  ids: Ids;
}

export class ReplayWorld implements ReplayPorts {
  readonly clock: Clock;
  readonly ids: Ids;
  readonly model: ModelClient;
  readonly retriever: Retriever;
  readonly catalog: ToolCatalog;
  /** Request ids drawn since the last commit, by an execution that may not live to write them. */
  private drawn = 0;
  private requestsInState = 0;

  constructor(private readonly options: ReplayWorldOptions) {
    const { log, index, position } = options;
    const lastTs = () => log.event(index.last_seq)?.ts ?? new Date(0).toISOString();
    this.clock = {
      now: () => Date.parse(log.event(position() + 1)?.ts ?? lastTs()),
      sleep: async () => {},
    };
    this.ids = {
      run: () => options.ids.run(),
      span: () => options.ids.span(),
      feedback: () => options.ids.feedback(),
      request: () => {
        const id = index.request_ids[this.requestsInState + this.drawn];
        this.drawn += 1;
        if (id === undefined) throw new Error("the replay drew more request ids than the recorded run did");
        return id;
      },
      // Backoffs are replayed from the recorded delay (driver.ts): the jitter adds nothing to it.
      random: () => 0,
    };
    this.model = index.provider === "offline" ? options.offline : this.recordedModel();
    const tools = index.tools.map((tool) => ToolDescriptor.parse(tool));
    this.catalog = { list: async () => tools };
    this.retriever = {
      count: async () => index.knowledge,
      search: async (query) => {
        const next = log.event(position() + 1);
        if (next?.type !== "retrieval.completed") return never(query.signal ?? new AbortController().signal);
        return next.data.chunks ?? next.data.chunk_ids.map((id, i) => ({ id, text: "", score: next.data.scores[i] ?? 0, metadata: {} }));
      },
    };
  }

  /** A commit was written: draws before it are accounted for by the requests now in state. */
  committed(requestsInState: number): void {
    this.requestsInState = requestsInState;
    this.drawn = 0;
  }

  /**
   * A model that streams back the recorded chunks and answers the recorded response. The output
   * validator's recorded redactions (before a chunk, or before the call's end) are handed to the
   * respond step's guard as the chunk after them is delivered.
   */
  private recordedModel(): ModelClient {
    const { log, index, position } = this.options;
    let verdicts: RecordedVerdict[] = [];
    const recordedOutput: RecordedOutputVerdicts = {
      take: () => {
        const taken = verdicts;
        verdicts = [];
        return taken;
      },
    };
    return {
      provider: index.provider,
      chunked: true,
      recordedOutput,
      modelFor: (capability: Capability) => index.models[capability] ?? "replay",
      complete: async (request: ModelRequest, onDelta?: (text: string) => void): Promise<ModelResponse> => {
        for (;;) {
          let seq = position() + 1;
          let next = log.event(seq);
          const before: RecordedVerdict[] = [];
          while (onDelta !== undefined && next?.type === "guardrail.triggered" && next.data.layer === "output") {
            before.push(next.data);
            next = log.event(++seq);
          }
          verdicts = before;
          if (next?.type === "output.chunk" && onDelta !== undefined) {
            onDelta(next.data.text);
            continue;
          }
          if (next?.type !== "model.completed") return never(request.signal);
          const chunks: string[] = [];
          for (let seq = next.seq - 1; seq > 0; seq--) {
            const event = log.event(seq);
            if (event?.type !== "output.chunk") break;
            chunks.unshift(event.data.text);
          }
          return {
            text: next.data.output ?? chunks.join(""),
            toolCalls: next.data.tool_calls ?? [],
            usage: next.data.usage,
            finishReason: next.data.finish_reason,
            model: next.data.model,
            provider: next.data.provider,
          };
        }
      },
    };
  }
}
