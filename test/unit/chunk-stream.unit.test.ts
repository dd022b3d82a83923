/**
 * The respond step's stream (respond.ts `ChunkStream`) shows a live model's deltas to the output
 * guard only when a chunk could be due. Checked on generated answers (numbers before line ends,
 * links, keys, cards, PEM blocks) in deltas of 1 to 7 characters against the stream as it was,
 * every delta judged: a steady stream is cut into exactly the same chunks, with each verdict at the
 * same place; after a pause, when either may flush what it has, the text, the redactions and the
 * verdicts are the same, and no redaction goes out before its verdict.
 */
import { describe, expect, it, vi } from "vitest";
import type { NewEvent } from "../../src/engine/events";
import { seededRandom } from "../../src/engine/ids";
import { OutputStreamGuard } from "../../src/engine/guardrails/output-validator";
import { chunkIsDue } from "../../src/engine/model/output-chunks";
import { ChunkStream } from "../../src/engine/steps/respond";
import type { StepContext } from "../../src/engine/steps/step";

const PAUSE_MS = 80;

const PIECES = [
  "The engine’s runs are durable — each event is written first. ",
  "Released in version 2.4.\n",
  "Call +1 (555) 010-2368 or see [the docs](https://docs.example.com/runs) for more. ",
  "Your key is sk-proj-AbCdEfGhIjKlMnOpQrStUvWx12 and it stays secret. ",
  "A card: 4111 1111 1111 1111.\n",
  "![tracker](https://tracker.example/p.png?d=1) done.\n",
  "-----BEGIN PRIVATE KEY-----\nMIIBVgIBADANBgkqhkiG9w0BAQEFAASCAUAwggE8AgEAAkEA\n-----END PRIVATE KEY-----\n",
  "Steps: 1, 2 and 3.\n\n",
  "Plain words follow plain words, and nothing here is held back for long. ",
];

interface Emitted {
  chunks: string[];
  /** Event types in order: `guardrail.triggered` and `output.chunk`. */
  order: string[];
}

function context(now: () => number, into: Emitted): StepContext {
  return {
    liveNow: now,
    emit: (...events: NewEvent[]) => {
      for (const event of events) {
        into.order.push(event.type);
        if (event.type === "output.chunk") into.chunks.push((event.data as { text: string }).text);
      }
    },
    probe: () => undefined,
    step: "respond",
    attempt: 1,
  } as unknown as StepContext;
}

/** The stream as it was before: every delta judged at once. */
function judgedEachDelta(deltas: string[], times: number[], end: number): Emitted {
  const out: Emitted = { chunks: [], order: [] };
  const guard = new OutputStreamGuard();
  let buffer = "";
  let lastFlush = 0;
  const flush = (at: number) => {
    if (buffer === "") return;
    out.chunks.push(buffer);
    out.order.push("output.chunk");
    buffer = "";
    lastFlush = at;
  };
  const take = (step: { text: string; verdicts: unknown[] }, at: number) => {
    for (let i = 0; i < step.verdicts.length; i++) out.order.push("guardrail.triggered");
    if (step.text === "") return;
    buffer += step.text;
    if (chunkIsDue(buffer, step.text) || at - lastFlush >= PAUSE_MS) flush(at);
  };
  deltas.forEach((delta, i) => take(guard.push(delta), times[i] as number));
  take(guard.end(), end);
  flush(end);
  return out;
}

function throughStream(deltas: string[], times: number[], end: number): Emitted {
  const out: Emitted = { chunks: [], order: [] };
  let now = 0;
  const stream = new ChunkStream(context(() => now, out), 1, false, new OutputStreamGuard(), "span");
  deltas.forEach((delta, i) => {
    now = times[i] as number;
    stream.push(delta);
  });
  now = end;
  stream.end();
  return out;
}

/** A generated answer, cut into deltas of 1 to 7 characters, with the time each arrives. */
function generated(seed: number, pauses: boolean): { deltas: string[]; times: number[]; end: number } {
  const next = seededRandom(seed);
  const answer = Array.from({ length: 4 + Math.floor(next() * 10) }, () => PIECES[Math.floor(next() * PIECES.length)]).join("");
  const deltas: string[] = [];
  const times: number[] = [];
  let at = 0;
  for (let i = 0; i < answer.length; ) {
    const size = 1 + Math.floor(next() * 7);
    deltas.push(answer.slice(i, i + size));
    i += size;
    // A steady stream; with pauses, now and then a gap longer than the stream's flush delay.
    at += pauses && next() < 0.05 ? 100 : Math.floor(next() * 4);
    times.push(at);
  }
  // Half the models finish well after their last delta (a final usage message, say).
  return { deltas, times, end: at + (seed % 2 === 0 ? 100 : 0) };
}

/** Runs the stream, counting the guard's judgements. */
function counted(deltas: string[], times: number[], end: number): { out: Emitted; calls: number } {
  const push = vi.spyOn(OutputStreamGuard.prototype, "push");
  try {
    const out = throughStream(deltas, times, end);
    return { out, calls: push.mock.calls.length };
  } finally {
    push.mockRestore();
  }
}

const MARKER = /\[redacted [^\]]*\]|\[image removed[^\]]*\]/g;

describe("the respond step's stream", () => {
  it("cuts a steady stream exactly as judging every delta does, with far fewer judgements", () => {
    let judged = 0;
    let deltasSeen = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { deltas, times, end } = generated(seed, false);
      const { out, calls } = counted(deltas, times, end);
      expect(out, `seed ${seed}`).toEqual(judgedEachDelta(deltas, times, end));
      judged += calls;
      deltasSeen += deltas.length;
    }
    expect(judged).toBeLessThan(deltasSeen / 2);
  });

  it("ends a short last line as one chunk, however long the model takes to finish", () => {
    const deltas = ["Here is the answer:\n", "The ", "total ", "is ", "42."];
    const times = [0, 1, 2, 3, 4];
    for (const end of [4, 200]) {
      const { out } = counted(deltas, times, end);
      expect(out).toEqual(judgedEachDelta(deltas, times, end));
      expect(out.chunks).toEqual(["Here is the answer:\n", "The total is 42."]);
    }
  });

  it("after a pause lets out the same text and verdicts, and no redaction ahead of its verdict", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { deltas, times, end } = generated(seed, true);
      const expected = judgedEachDelta(deltas, times, end);
      const { out } = counted(deltas, times, end);
      // The same answer, redacted the same way, with the same verdicts.
      expect(out.chunks.join(""), `seed ${seed}`).toBe(expected.chunks.join(""));
      expect(out.order.filter((type) => type !== "output.chunk"), `seed ${seed}`).toEqual(expected.order.filter((type) => type !== "output.chunk"));
      // No chunk carries a redaction whose verdict has not been emitted yet.
      let verdicts = 0;
      let markers = 0;
      let chunk = 0;
      for (const type of out.order) {
        if (type !== "output.chunk") {
          verdicts++;
          continue;
        }
        markers += (out.chunks[chunk++]?.match(MARKER) ?? []).length;
        expect(verdicts, `seed ${seed}, chunk ${chunk}`).toBeGreaterThanOrEqual(markers);
      }
    }
  });
});
