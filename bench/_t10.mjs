import { startWrangler } from "./lib/wrangler.mjs";
import { timeRun, timeBaseline } from "./offline.mjs";
import { median } from "./lib/stats.mjs";
const variants = { disk: {}, shm: { tmpRoot: "/dev/shm" }, quietlogs: { vars: { LOG_LEVEL: "warn" } }, shmquiet: { tmpRoot: "/dev/shm", vars: { LOG_LEVEL: "warn" } } };
for (const [name, opts] of Object.entries(variants)) {
  const w = await startWrangler(opts);
  try {
    for (let i = 0; i < 10; i++) { await timeRun(w.baseUrl); await timeBaseline(w.baseUrl, 46, 404); }
    const r = [], b = [];
    for (let k = 0; k < 3; k++) { for (let i = 0; i < 15; i++) r.push((await timeRun(w.baseUrl)).ms); for (let i = 0; i < 15; i++) b.push((await timeBaseline(w.baseUrl, 46, 404)).ms); }
    console.log(name, "run p50", median(r).toFixed(1), "baseline p50", median(b).toFixed(1), "ratio", (median(r)/median(b)).toFixed(2));
  } finally { await w.stop(); }
}
