import { startWrangler } from "./lib/wrangler.mjs";
import { expectStatus, openSse } from "./lib/http.mjs";
import { timeRun, timeBaseline } from "./offline.mjs";
import { median } from "./lib/stats.mjs";
const w = await startWrangler({ vars: { LOG_LEVEL: process.env.LL ?? "info" } });
const base = w.baseUrl;
try {
  for (let i = 0; i < 10; i++) await timeRun(base);
  const rows = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now(); const e0 = performance.timeOrigin + t0;
    const { run_id } = await expectStatus(201, "POST", `${base}/runs`, { message: "How does the engine stream events to clients, and what happens when a client reconnects?" });
    const t1 = performance.now();
    const frames = [];
    await openSse(`${base}/runs/${run_id}/events`, (f) => frames.push(f)).done;
    const ev = frames.map(f => ({ type: f.type, ts: Date.parse(JSON.parse(f.data).ts), at: performance.timeOrigin + f.at, data: JSON.parse(f.data).data }));
    const started = ev[0].ts;
    const recv = ev.find(e => e.type === "workflow.step.started").ts;
    const done = ev.at(-1);
    const stepStart = {}; const stepDur = {};
    for (const e of ev) { if (e.type === "workflow.step.started") stepStart[e.data.step] = e.ts; if (e.type === "workflow.step.completed") stepDur[e.data.step] = e.ts - stepStart[e.data.step]; }
    rows.push({ total: frames.at(-1).at - t0, post: t1 - t0, startTs: started - e0, hop: recv - started, exec: done.ts - recv, deliver: done.at - done.ts, ...stepDur });
  }
  const keys = Object.keys(rows[0]);
  console.log(keys.map(k => `${k}=${median(rows.map(r => r[k])).toFixed(1)}`).join("  "));
  const b = []; for (let i = 0; i < 30; i++) b.push((await timeBaseline(base, 46, 404)).ms);
  console.log("baseline p50", median(b).toFixed(1));
} finally { await w.stop(); }
