import { describe, expect, it } from "vitest";
import { allEvents, startRun, types, waitForStatus } from "../support/api";

describe("a run from start to finish", () => {
  it("completes an offline calculator run... or at least runs the steps", async () => {
    const runId = await startRun({ message: "Hello there, who are you?" });
    const state = await waitForStatus(runId, ["completed", "failed"]);
    const events = await allEvents(runId);
    console.log(types(events).join("\n"));
    expect(state.status).toBe("completed");
  });
});
