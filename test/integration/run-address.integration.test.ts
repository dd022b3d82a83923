/**
 * How a run's object is addressed (adapters/named-object.ts): by the id its name gives, so every
 * caller reaches the same object, without handing the object its name, which Miniflare under
 * `wrangler dev` writes into the object's database (a storage commit) each time an instance starts.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { objectNamed } from "../../src/adapters/named-object";
import { runObjectName } from "../../src/engine/ids";
import { startRun, waitForStatus } from "../support/api";

describe("a run's object", () => {
  it("is the object its name gives, started without its name", async () => {
    const runId = await startRun({ message: "hello there" });
    await waitForStatus(runId, ["completed"]);
    const name = runObjectName("dev", runId);
    const stub = objectNamed(env.RUN_OBJECT, name);
    expect(stub.id.toString()).toBe(env.RUN_OBJECT.idFromName(name).toString());
    await runInDurableObject(stub, (_object, state) => {
      // The instance the API started (still the one running) never received a name.
      expect(state.id.name).toBeUndefined();
    });
    // Reached by its name, it is the same run.
    expect(await env.RUN_OBJECT.getByName(name).getWorkflow()).toMatchObject({ run_id: runId, status: "completed" });
  });

});
