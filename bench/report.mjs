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
  const baselineRate = median(tp.baselines.map((b) => b.perSecond));
  const cost = baselineRate / tp.runs.perSecond;
  row(
    `Throughput, ${tp.runs.inFlight} in flight (${tp.runs.total} each)`,
    `${tp.runs.perSecond.toFixed(1)} runs/s`,
    `${tp.baselines.map((b) => b.perSecond.toFixed(1)).join(" / ")} /s`,
    `${cost.toFixed(2)}x cost`,
    `≤ 1.5x: ${verdict(cost <= 1.5)}`,
  );
  row(`SSE, ${fanout.subscribers} subscribers on one run: trigger → receipt, p50 / p95`, `${ms(fanout.triggerToReceipt.p50)} / ${ms(fanout.triggerToReceipt.p95)}`, "", "", "");
  row("SSE, same: event `ts` → receipt (fan-out only), p50 / p95", `${ms(fanout.tsToReceipt.p50)} / ${ms(fanout.tsToReceipt.p95)}`, "", "", "");
  row(`SSE, same: until all ${fanout.subscribers} have the event, p50 / max of ${fanout.events}`, `${ms(fanout.allHave.p50)} / ${ms(fanout.allHave.max)}`, "", "", "");
  row(`Replay of ${replay.events.toLocaleString("en")} events, SSE \`?follow=false\`, median of runs`, ms(replay.sse.median), "", "", `< 1 s: ${verdict(replay.sse.median < 1000)}`);
  row(`Replay of ${replay.events.toLocaleString("en")} events, JSON pages of 1,000`, ms(replay.json.median), "", "", `< 1 s: ${verdict(replay.json.median < 1000)}`);

  const first = memory[0];
  const lastPoint = memory.at(-1);
  const heapGrowth = first.heap !== null && lastPoint.heap !== null ? lastPoint.heap - first.heap : null;
  const perEvent = heapGrowth === null ? null : heapGrowth / (lastPoint.events - first.events);
  const series = (key, fmt) => memory.map((p) => (p[key] === null ? "n/a" : fmt(p[key]))).join(" → ");
  const sizes = memory.map((p) => `${p.events / 1000}k`).join(" / ");
  row(
    `Worker JS heap after GC, log at ${sizes} events`,
    series("heap", bytes),
    "",
    heapGrowth === null ? "n/a" : `${bytes(heapGrowth)} (${perEvent.toFixed(1)} B/event)`,
    heapGrowth === null ? "n/a" : `flat: ${verdict(perEvent < 20)}`,
  );
  row(`workerd RSS, same points (upper bound, see notes)`, series("rss", bytes), "", lastPoint.rss && first.rss ? bytes(lastPoint.rss - first.rss) : "n/a", "");
  row(`RunState snapshot, same points`, series("snapshotBytes", bytes), "", "", "");
  row(`Replay over SSE at the same points`, series("replayMs", ms), "", "", "");
  row("Retrieval, top-5 over 10,000 chunks, p50 / p95", `${ms(retrieval.p50_ms)} / ${ms(retrieval.p95_ms)}`, "", "", `${retrieval.chunks} chunks`);
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
  ].join("\n");
}
