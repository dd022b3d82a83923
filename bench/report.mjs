/** Renders the bench's results as the markdown table that goes into the README. */
import { bytes, median, ms, ratio } from "./lib/stats.mjs";

const verdict = (ok) => (ok ? "met" : "**not met**");

export function renderReport(r, quick) {
  const rows = [];
  const row = (...cells) => rows.push(`| ${cells.join(" | ")} |`);
  const { latency: lat, throughput: tp, fanout, replay, memory, retrieval } = r;

  const p50Ratio = lat.run.p50 / lat.baseline.p50;
  const p95Ratio = lat.run.p95 / lat.baseline.p95;
  row("Offline run, `POST /runs` → `run.completed` over SSE, p50", ms(lat.run.p50), ms(lat.baseline.p50), ratio(lat.run.p50, lat.baseline.p50), `≤ 1.5x: ${verdict(p50Ratio <= 1.5)}`);
  row("Offline run, same, p95", ms(lat.run.p95), ms(lat.baseline.p95), ratio(lat.run.p95, lat.baseline.p95), `≤ 1.5x: ${verdict(p95Ratio <= 1.5)}`);
  const runRate = median(tp.rounds.map((r) => r.runs));
  const baselineRate = median(tp.rounds.map((r) => r.baseline));
  const cost = baselineRate / runRate;
  row(
    `Throughput, ${tp.inFlight} in flight, median of ${tp.rounds.length} rounds of ${tp.perRound}`,
    `${runRate.toFixed(1)} runs/s`,
    `${baselineRate.toFixed(1)} /s`,
    `${cost.toFixed(2)}x cost`,
    `≤ 1.5x: ${verdict(cost <= 1.5)}`,
  );
  row(
    `SSE, ${fanout.subscribers} subscribers on one run: trigger → receipt, p50 / p95 / p99`,
    `${ms(fanout.triggerToReceipt.p50)} / ${ms(fanout.triggerToReceipt.p95)} / ${ms(fanout.triggerToReceipt.p99)}`,
    "",
    "",
    `p99 ≤ 100 ms: ${verdict(fanout.triggerToReceipt.p99 <= 100)}`,
  );
  row("SSE, same: event `ts` → receipt (fan-out only), p50 / p95 / p99", `${ms(fanout.tsToReceipt.p50)} / ${ms(fanout.tsToReceipt.p95)} / ${ms(fanout.tsToReceipt.p99)}`, "", "", "");
  row(`SSE, same: until all ${fanout.subscribers} have the event, p50 / max of ${fanout.events}`, `${ms(fanout.allHave.p50)} / ${ms(fanout.allHave.max)}`, "", "", "");
  row(`Replay of ${replay.events.toLocaleString("en")} events, SSE \`?follow=false\`, median of ${replay.repeats}`, ms(replay.sse.median), "", "", `< 1 s: ${verdict(replay.sse.median < 1000)}`);
  row(`Replay of ${replay.events.toLocaleString("en")} events, JSON pages of 1,000, median of ${replay.repeats}`, ms(replay.json.median), "", "", `< 1 s: ${verdict(replay.json.median < 1000)}`);

  const first = memory[0];
  const lastPoint = memory.at(-1);
  const added = lastPoint.events - first.events;
  const growth = (key) => (first[key] !== null && lastPoint[key] !== null ? lastPoint[key] - first[key] : null);
  const perEvent = (key) => (growth(key) === null ? null : growth(key) / added);
  const series = (key, fmt) => memory.map((p) => (p[key] === null ? "n/a" : fmt(p[key]))).join(" → ");
  const sizes = memory.map((p) => `${p.events / 1000}k`).join(" / ");
  const growthCell = (key) => (growth(key) === null ? "n/a" : `${bytes(growth(key))} (${perEvent(key).toFixed(1)} B/event)`);
  // Holding the log in memory would grow memory by at least what the log grew on disk; flat means a
  // small fraction of that (RSS also moves by a few MiB on its own: allocator, caches, other objects).
  const logGrowth = growth("dbBytes");
  const share = growth("rss") === null || !logGrowth ? null : growth("rss") / logGrowth;
  const flat = share === null ? "n/a" : `flat (< 10% of the log's growth): ${verdict(share < 0.1)}`;
  row(
    `workerd RSS after replaying the whole log, at ${sizes} events`,
    series("rss", bytes),
    "",
    share === null ? growthCell("rss") : `${growthCell("rss")}, ${(share * 100).toFixed(0)}% of the log's growth`,
    flat,
  );
  row(`Run's SQLite database, same points`, series("dbBytes", bytes), "", "", "");
  row(`RunState snapshot, same points`, series("snapshotBytes", bytes), "", "", "");
  row(`Replay over SSE at the same points`, series("replayMs", ms), "", "", "");
  row(`GET /verify (whole chain re-hashed from storage), same points`, series("verifyMs", ms), "", "", "");
  row(`GET /export read to its end, same points`, series("exportMs", ms), "", "", "");
  row(
    `Retrieval, top-5 over ${retrieval.chunks.toLocaleString("en")} chunks (a tenant shard at its cap), p50 / p95 (vs \`GET /healthz\`)`,
    `${ms(retrieval.p50_ms)} / ${ms(retrieval.p95_ms)}`,
    `${ms(retrieval.floor_p50_ms)} / ${ms(retrieval.floor_p95_ms)}`,
    "",
    `p95 < 20 ms: ${verdict(retrieval.p95_ms < 20)}`,
  );
  const tools = r.tools_roundtrip;
  if (tools.skipped) {
    row("Tool round trip, `tool.requested` → `tool.completed`", `not run: ${tools.skipped}`, "", "", "");
  } else {
    row(
      "Tool round trip via the Queue, p50 / p95 (vs the same MCP call made directly)",
      `${ms(tools.queue.p50_ms)} / ${ms(tools.queue.p95_ms)}`,
      `${ms(tools.direct.p50_ms)} / ${ms(tools.direct.p95_ms)}`,
      ratio(tools.queue.p50_ms, tools.direct.p50_ms),
      "",
    );
  }

  const m = r.machine;
  const load = (l) => l.map((x) => x.toFixed(2)).join(", ");
  return [
    `## Bench${quick ? " (BENCH_QUICK: smoke test, not figures)" : ""}`,
    "",
    `${m.cpus} CPUs (${m.cpuModel}), ${bytes(m.memory)}, Node ${m.node}, wrangler dev (local workerd), commit ${m.commit}; ` +
      `load average ${load(m.loadBefore)} before and ${load(m.loadAfter)} after; ${r.seconds.toFixed(0)} s in all. ` +
      `An offline run here has ${r.shape.events} events (${r.shape.rowBytes} bytes each on average); the baseline appends as many rows of that size.` +
      (r.tools ? " The tool-executor worker ran beside the api worker." : ""),
    "",
    "| measurement | engine | baseline | ratio / growth | target |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    NOTES,
  ].join("\n");
}

const NOTES = `How each figure is measured (bench/*.mjs say more):
- Offline run: a plain message (no tool; retrieval over the shipped docs), timed by the client from just before
  \`POST /runs\` to the arrival of \`run.completed\` on \`GET /runs/{id}/events\`; every seq must arrive, in order.
  Sequential, after a warm-up, in rounds interleaved with the baseline. Baseline: a bare SQLite-backed Durable Object
  that on \`POST\` arms one alarm, and from it appends as many rows (of the same mean size) as a run has events in
  one transaction, then streams them over SSE with a final \`done\` frame; the client reads it the same way.
- Throughput: 20 clients each doing POST + SSE until completed, in alternating rounds of baselines and runs;
  "cost" is baseline completions per second over run completions per second.
- SSE fan-out: 1,000 SSE subscribers on one run parked in its approval wait; live events are made with
  \`POST /feedback\` (\`feedback.recorded\`) and finally \`POST /runs/{id}/cancel\` (\`run.cancelled\`). "Trigger"
  starts just before the POST; "ts" is the event's commit timestamp (same machine clock, ms resolution).
- Replay: a run's log grown to 10,000 events by appends through the run's own commit path (bench/bench-worker.ts),
  read whole over SSE with \`?follow=false\` and as JSON pages of 1,000, each checked seq by seq.
- Memory: the same log grown to the sizes shown and replayed whole over SSE at each, then the RSS of the workerd
  process that runs both workers (found with \`ps\` among wrangler's children). It is a proxy: it holds every
  object of the isolate, V8's heap including garbage not yet collected, SQLite's page cache and memory freed but
  kept by the allocator, so it bounds the run object's memory from above. A log held in memory would grow it by at
  least what the database grew; "flat" means the RSS grew by less than 10% of that, between the first and the
  last point. The RunState snapshot (kept in memory and rewritten with every commit) is measured exactly.
- Retrieval: synthetic markdown posted through \`POST /knowledge/documents\` until the tenant's shard holds 20,000
  chunks (its cap), then \`GET /knowledge/search?k=5\` with 3 to 7 words drawn from the corpus's Zipf vocabulary,
  each followed by a \`GET /healthz\` (the floor of a request through \`wrangler dev\` on the same load); the first
  search, which loads the shard's index into memory, is left out (bench/retrieval.mjs).
- Everything runs under \`wrangler dev\` on this machine, which other work may share (see the load averages);
  in dev, each log line and each streamed chunk also travels through wrangler's inspector, which production
  does not do. \`npm run bench:profile\` breaks a run's cost down.`;
