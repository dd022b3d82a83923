/**
 * SSE delivery with many subscribers on one run. A run parked in its approval wait gets
 * `subscribers` SSE connections (`GET /runs/{id}/events`, replay then live); once every one has
 * caught up with the log, the bench makes live events happen one at a time: `POST /feedback`
 * (`feedback.recorded`, appended and broadcast by the run, with or without the tool worker), and
 * last `POST /runs/{id}/cancel` (`run.cancelled`, after which every stream must end).
 *
 * Per event and subscriber it records:
 * - trigger to receipt: from just before the triggering POST to the arrival of that event's frame
 *   (includes the POST through the api worker into the object, the commit, and the fan-out);
 * - server ts to receipt: from the event's `ts` (stamped at commit) to arrival, the fan-out alone
 *   (millisecond clock, same machine);
 * and the time until all subscribers have the event.
 */
import { expectStatus, openSse } from "./lib/http.mjs";
import { percentile, sleep } from "./lib/stats.mjs";
import { startWaitingRun } from "./waiting-run.mjs";

export async function benchFanout(baseUrl, { subscribers = 200, triggers = 10, timeoutMs = 15_000, log = () => {} } = {}) {
  const run = await startWaitingRun(baseUrl, "the fan-out bench's run");
  // received[i]: Map seq -> {at, ts} for subscriber i
  const received = Array.from({ length: subscribers }, () => new Map());
  const lastSeen = new Array(subscribers).fill(0);
  const streams = received.map((seen, i) =>
    openSse(`${baseUrl}/runs/${run.run_id}/events`, (frame) => {
      if (frame.id !== lastSeen[i] + 1) throw new Error(`subscriber ${i}: frame ${frame.id} after ${lastSeen[i]}`);
      lastSeen[i] = frame.id;
      seen.set(frame.id, { at: frame.at, type: frame.type, data: frame.data });
    }),
  );
  await Promise.all(streams.map((s) => s.opened));
  const caughtUp = async (seq) => {
    const until = performance.now() + timeoutMs;
    while (lastSeen.some((s) => s < seq)) {
      if (performance.now() > until) {
        const behind = lastSeen.filter((s) => s < seq).length;
        throw new Error(`fan-out: ${behind} of ${subscribers} subscribers never received seq ${seq}`);
      }
      await sleep(2);
    }
  };
  await caughtUp(run.last_seq);
  log(`fan-out: ${subscribers} subscribers live on ${run.run_id} at seq ${run.last_seq}`);

  const triggerToReceipt = [];
  const tsToReceipt = [];
  const allHave = [];
  let seq = run.last_seq;
  for (let k = 0; k <= triggers; k++) {
    const last = k === triggers;
    seq += 1;
    const started = performance.now();
    if (last) await expectStatus(202, "POST", `${baseUrl}/runs/${run.run_id}/cancel`);
    else await expectStatus(201, "POST", `${baseUrl}/feedback`, { run_id: run.run_id, rating: k % 2 === 0 ? "up" : "down" });
    await caughtUp(seq);
    let latest = 0;
    for (const seen of received) {
      const frame = seen.get(seq);
      const expectedType = last ? "run.cancelled" : "feedback.recorded";
      if (frame.type !== expectedType) throw new Error(`fan-out: seq ${seq} is ${frame.type}, expected ${expectedType}`);
      const ts = Date.parse(JSON.parse(frame.data).ts);
      triggerToReceipt.push(frame.at - started);
      tsToReceipt.push(performance.timeOrigin + frame.at - ts);
      latest = Math.max(latest, frame.at - started);
    }
    allHave.push(latest);
    if (!last) await sleep(50);
  }
  // The terminal event ends every stream.
  const ends = await Promise.race([Promise.all(streams.map((s) => s.done)), sleep(timeoutMs).then(() => null)]);
  if (ends === null) throw new Error("fan-out: streams did not end after run.cancelled");
  return {
    subscribers,
    events: triggers + 1,
    triggerToReceipt: { p50: percentile(triggerToReceipt, 50), p95: percentile(triggerToReceipt, 95), p99: percentile(triggerToReceipt, 99) },
    tsToReceipt: { p50: percentile(tsToReceipt, 50), p95: percentile(tsToReceipt, 95), p99: percentile(tsToReceipt, 99) },
    allHave: { p50: percentile(allHave, 50), max: Math.max(...allHave) },
  };
}
