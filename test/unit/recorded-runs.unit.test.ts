/**
 * The recorded runs under test/fixtures/runs/ (real runs of `wrangler dev`, exported; recorded by
 * `npm run fixtures:record`) replay to the same log, event for event, against the engine as it is
 * now: a change to the engine that changes what a run writes shows here, at the first event it
 * changes, at no model cost. Among them a run recorded with the OpenAI adapter against the fake
 * server and a run whose process was SIGKILLed mid-answer and retried its step after the restart.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/engine/events";
import { replayInMemory } from "../../src/engine/replay/in-memory";
import { ArrayRecording } from "../../src/engine/replay/recording";

const DIR = path.resolve(import.meta.dirname, "../fixtures/runs");
const FIXTURES = readdirSync(DIR).filter((name) => name.endsWith(".jsonl")).sort();

const lines = (text: string) => text.trim().split("\n");
const face = (line: string) => {
  const { type, data } = JSON.parse(line) as RunEvent;
  return { type, data };
};

describe("recorded runs", () => {
  it("keeps the set the replay issue asks for", () => {
    for (const name of ["plain", "calculator", "approval-approved", "approval-rejected", "retrieval", "research", "refused", "openai", "crashed-and-retried"]) {
      expect(FIXTURES).toContain(`${name}.jsonl`);
    }
    const crashed = lines(readFileSync(path.join(DIR, "crashed-and-retried.jsonl"), "utf8")).map((line) => JSON.parse(line) as RunEvent);
    expect(crashed.some((e) => e.type === "workflow.step.failed" && e.data.error.code === "interrupted")).toBe(true);
    const openai = lines(readFileSync(path.join(DIR, "openai.jsonl"), "utf8")).map((line) => JSON.parse(line) as RunEvent);
    expect(openai.some((e) => e.type === "model.completed" && e.data.provider === "openai")).toBe(true);
  });

  it.each(FIXTURES)("%s replays identically", async (name) => {
    const text = readFileSync(path.join(DIR, name), "utf8");
    const replay = await replayInMemory(ArrayRecording.fromJsonLines(text));
    expect(replay.diverged).toBeNull();
    expect(replay.identical).toBe(true);
    expect(replay.log.map(face)).toEqual(lines(text).map(face));
  });
});
