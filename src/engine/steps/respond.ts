/**
 * `respond`: stream the answer. Deltas from the model are coalesced into `output.chunk` events
 * (each persisted, then broadcast), unless the model already delivers whole chunks (the offline
 * model, a replay); a retried attempt first says `output.reset`, so a client drops the chunks of
 * the abandoned one; `output.completed` carries the whole answer.
 */
import { newEvent } from "../events";
import { chunkIsDue } from "../model/output-chunks";
import { generationRequest } from "../model/prompts";
import { groundingOf } from "./grounding";
import { callModel } from "./model-call";
import type { StepContext, StepResult } from "./step";

/** A live stream that has not sent anything for this long flushes what it has. */
const PAUSE_MS = 80;

/** Coalesces model deltas into chunks of a readable size, flushing at line ends or after a pause. */
class ChunkStream {
  private buffer = "";
  private lastFlush: number;
  private index = 0;
  /** Probe points hit while the model streamed synchronously; awaited before the output completes. */
  readonly probes: Promise<void>[] = [];
  text = "";

  constructor(
    private readonly ctx: StepContext,
    private readonly attempt: number,
    /** Each delta is already a whole chunk. */
    private readonly chunked: boolean,
  ) {
    this.lastFlush = ctx.liveNow();
  }

  get buffered(): string {
    return this.buffer;
  }

  push(delta: string): void {
    this.buffer += delta;
    if (this.chunked || chunkIsDue(this.buffer, delta) || this.ctx.liveNow() - this.lastFlush >= PAUSE_MS) this.flush();
  }

  flush(): void {
    if (this.buffer === "") return;
    const text = this.buffer;
    this.buffer = "";
    this.lastFlush = this.ctx.liveNow();
    this.ctx.emit(newEvent("output.chunk", { text, attempt: this.attempt }));
    this.text += text;
    const probe = this.ctx.probe({ at: "output.chunk", step: this.ctx.step, attempt: this.ctx.attempt, index: this.index++ });
    if (probe !== undefined) this.probes.push(probe);
  }
}

/** Generates one output (the current output generation), streaming it, with `feedback` to address. */
export async function generate(ctx: StepContext, feedback: string[]): Promise<void> {
  const state = ctx.state();
  const grounding = groundingOf(state, { feedback });
  const stream = new ChunkStream(ctx, state.output_attempt, ctx.model.chunked === true);
  await callModel(ctx, "generation", generationRequest(grounding), {
    push: (delta) => stream.push(delta),
    end: (response) => {
      // A model that answered without streaming: its answer goes out as the output.
      if (stream.text === "" && stream.buffered === "" && response.text !== "") stream.push(response.text);
      stream.flush();
    },
  });
  await Promise.all(stream.probes);
  ctx.emit(newEvent("output.completed", { text: stream.text }));
}

/** Starts the next output generation when chunks of an earlier one are on record. */
export function resetOutput(ctx: StepContext, cause: "retry" | "regenerate", reason: string): void {
  const state = ctx.state();
  ctx.emit(newEvent("output.reset", { attempt: state.output_attempt + 1, reason, cause }));
}

export async function respond(ctx: StepContext): Promise<StepResult> {
  const state = ctx.state();
  if (state.output_streamed || state.output_completed) {
    resetOutput(ctx, "retry", `attempt ${ctx.attempt} of respond replaces the output of an abandoned attempt`);
  }
  await generate(ctx, []);
  return { kind: "done" };
}
