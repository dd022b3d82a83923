/**
 * A run parked in a wait: `remember: ...` plans `notes.save`, which needs an approval under the
 * default policy, so the run stops in `workflow.waiting` (with or without the tool-executor worker)
 * and stays there until it is approved, rejected, cancelled or its approval expires (15 minutes).
 */
import { expectStatus } from "./lib/http.mjs";
import { sleep } from "./lib/stats.mjs";

export async function startWaitingRun(baseUrl, text, timeoutMs = 15_000) {
  const { run_id } = await expectStatus(201, "POST", `${baseUrl}/runs`, { message: `remember: ${text}` });
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const state = await expectStatus(200, "GET", `${baseUrl}/runs/${run_id}/state`);
    if (state.status === "waiting") return { run_id, last_seq: state.last_seq };
    if (state.status !== "running") throw new Error(`run ${run_id} ended (${state.status}) instead of waiting for approval`);
    await sleep(20);
  }
  throw new Error(`run ${run_id} did not reach its approval wait within ${timeoutMs} ms`);
}
