/**
 * `respond`: stream the answer. Deltas from the model are coalesced into `output.chunk` events
 * (each persisted, then broadcast), unless the model already delivers whole chunks (the offline
 * model, a replay); a retried attempt first says `output.reset`, so a client drops the chunks of
 * the abandoned one; `output.completed` carries the whole answer.
 *
 * Every delta passes the output validator first (one `OutputStreamGuard` per output attempt, in a
 * `guardrail` span): it holds back a short window so that no secret, no run of the system prompt
 * and no link or image to a host outside `OUTPUT_LINK_ALLOWLIST` reaches a subscriber, and a link
 * taken from evidence is shown as text. Its verdicts are emitted as `guardrail.triggered {layer:
 * "output"}` before the chunk that carries the redaction. A chunked model's chunks stay whole: each
 * is judged with everything before it and let out at once, as one `output.chunk`, so a replay of
 * recorded (already guarded) chunks gives the same chunks.
 */
import { newEvent } from "../events";
import { guardSpanAttributes, recordedVerdict, triggeredEvent } from "../guardrail-events";
import { OutputStreamGuard, toolResultText } from "../guardrails/index";
import type { StreamStep } from "../guardrails/index";
import { CHUNK_CHARS, chunkIsDue } from "../model/output-chunks";
import { generationRequest } from "../model/prompts";
import type { Grounding, RecordedOutputVerdicts } from "../ports";
import { groundingOf } from "./grounding";
import { callModel } from "./model-call";
import type { StepContext, StepResult } from "./step";

/** A live stream that has not sent anything for this long flushes what it has. */
const PAUSE_MS = 80;

const NOTHING: StreamStep = { text: "", verdicts: [] };

/** Two of the guard's steps as one: both texts, both verdicts, in order. */
function joined(first: StreamStep, second: StreamStep): StreamStep {
  return { text: first.text + second.text, verdicts: [...first.verdicts, ...second.verdicts] };
}

/**
 * Passes model deltas through the output guard and coalesces what it lets out into chunks of a
 * readable size, flushing at line ends or after a pause.
 *
 * The guard is consulted when a chunk could be due, not for every delta: each consultation scans
 * its whole window again, and a live model's deltas are a few characters each (`npm run
 * bench:guardrails` times a 3 KB answer both ways, which is why this class is exported). A chunk
 * could be due when what is buffered, what the guard holds and what waits here could fill one, when
 * a line ends (here or in what the guard holds), or after a pause: exactly when judging each delta
 * could have flushed. Until then the deltas wait here, unjudged; nothing leaves without passing the
 * guard.
 */
export class ChunkStream {
  private buffer = "";
  /** Deltas not yet shown to the guard. */
  private unjudged = "";
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
    private readonly guard: StreamGuard,
    private readonly guardSpan: string,
  ) {
    this.lastFlush = ctx.liveNow();
  }

  push(delta: string): void {
    if (!this.chunked) {
      this.unjudged += delta;
      // What the guard holds and what waits here could make a chunk: it is time to judge them.
      const couldFill = this.buffer.length + this.guard.held + this.unjudged.length >= CHUNK_CHARS;
      if (couldFill || delta.includes("\n") || this.guard.holdsLineEnd || this.paused()) this.judge();
      return;
    }
    // A whole chunk in, the same chunk out (as the guard left it): judged with everything before it.
    const judged = this.guard.push(delta);
    this.take(joined(judged, this.guard.release()));
  }

  /** The model finished: the guard judges what waits and lets out what it held back, as one step. */
  end(): void {
    const judged = this.unjudged === "" ? NOTHING : this.guard.push(this.unjudged);
    this.unjudged = "";
    this.take(joined(judged, this.guard.end()));
    this.flush();
  }

  private judge(): void {
    if (this.unjudged === "") return;
    const text = this.unjudged;
    this.unjudged = "";
    this.take(this.guard.push(text));
  }

  private paused(): boolean {
    return this.ctx.liveNow() - this.lastFlush >= PAUSE_MS;
  }

  private take(step: StreamStep): void {
    // A redaction is on record before the chunk that carries it.
    if (step.verdicts.length > 0) this.ctx.emit(...step.verdicts.map((verdict) => triggeredEvent(verdict, this.guardSpan)));
    if (step.text === "") return;
    this.buffer += step.text;
    if (this.chunked || chunkIsDue(this.buffer, step.text) || this.paused()) this.flush();
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

/** What the stream passes every delta through: the output validator, or a replay's record of it. */
export type StreamGuard = Pick<OutputStreamGuard, "push" | "release" | "end" | "held" | "holdsLineEnd">;

/** A replay's guard: the recorded chunks pass as they are, with the redactions recorded before each. */
class ReplayedGuard implements StreamGuard {
  /** Nothing is held: each recorded chunk passes whole. */
  readonly held = 0;
  readonly holdsLineEnd = false;

  constructor(private readonly recorded: RecordedOutputVerdicts) {}

  push(delta: string): StreamStep {
    return { text: delta, verdicts: this.verdicts() };
  }

  release(): StreamStep {
    return { text: "", verdicts: [] };
  }

  end(): StreamStep {
    return { text: "", verdicts: this.verdicts() };
  }

  private verdicts(): StreamStep["verdicts"] {
    return this.recorded.take().map((verdict) => recordedVerdict("output", verdict));
  }
}

/** The texts the run's evidence gave the model: a link to a URL found there is shown, never linked. */
export function evidenceTexts(grounding: Grounding): string[] {
  return [
    ...grounding.chunks.map((chunk) => chunk.text),
    ...grounding.tool_results.flatMap((view) => (view.result === undefined ? [] : [toolResultText(view.result)])),
  ];
}

/** Generates one output (the current output generation), streaming it, with `feedback` to address. */
export async function generate(ctx: StepContext, feedback: string[]): Promise<void> {
  const state = ctx.state();
  const grounding = groundingOf(state, { feedback });
  const request = generationRequest(grounding);
  const recorded = ctx.model.recordedOutput;
  const guard: StreamGuard =
    recorded !== undefined
      ? new ReplayedGuard(recorded)
      : new OutputStreamGuard({
          policy: ctx.config.guardrails.policy.output,
          protectedTexts: request.messages.filter((m) => m.role === "system").map((m) => m.content),
          evidenceTexts: evidenceTexts(grounding),
        });
  const attrs = guardSpanAttributes("output", { outputAttempt: state.output_attempt });
  const text = await ctx.span("guardrail", "guardrail output", attrs, async (guardSpan) => {
    const stream = new ChunkStream(ctx, state.output_attempt, ctx.model.chunked === true, guard, guardSpan);
    let streamed = false;
    await callModel(ctx, "generation", request, {
      push: (delta) => {
        streamed = true;
        stream.push(delta);
      },
      // The stream's end, before the call is reported complete: what the guard held back goes out
      // first, so every chunk of a call precedes its model.completed.
      end: (response) => {
        // A model that answered without streaming any delta: its whole text goes through the guard.
        if (!streamed && response.text !== "") stream.push(response.text);
        stream.end();
      },
    });
    await Promise.all(stream.probes);
    return stream.text;
  });
  ctx.emit(newEvent("output.completed", { text }));
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
