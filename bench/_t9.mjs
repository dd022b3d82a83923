import { startWrangler } from "./lib/wrangler.mjs";
import { timeRun, timeBaseline } from "./offline.mjs";
import { bundleModules, openProfiler, selfTimes } from "./lib/cpu-profile.mjs";
import { execSync } from "node:child_process";
const w = await startWrangler({ log: (l) => console.log(l) });
try {
  for (let i = 0; i < 10; i++) { await timeRun(w.baseUrl); await timeBaseline(w.baseUrl, 46, 404); }
  console.log(execSync(`grep -c "^// " ${w.dir}/.wrangler/tmp/dev-*/bench-worker.js; grep "^// " ${w.dir}/.wrangler/tmp/dev-*/bench-worker.js | head -5`).toString());
  const moduleOf = bundleModules(w.dir, "/work/wt-bench");
  const prof = await openProfiler(8841);
  for (const [name, task] of [["run", () => timeRun(w.baseUrl)], ["baseline", () => timeBaseline(w.baseUrl, 46, 404)]]) {
    await prof.start(100);
    const t = performance.now();
    for (let i = 0; i < 30; i++) await task();
    const wall = performance.now() - t;
    const p = await prof.stop();
    const st = selfTimes(p, moduleOf);
    const total = st.byArea.reduce((a, [, ms]) => a + ms, 0);
    const idle = st.byArea.find(([a]) => a === "(idle)")?.[1] ?? 0;
    console.log(`== ${name}: wall ${(wall/30).toFixed(1)} ms/each, profiled ${(total/30).toFixed(1)} ms/each, idle ${(idle/30).toFixed(1)}, busy ${((total-idle)/30).toFixed(2)} ms/each`);
    console.log(st.byArea.slice(0, 25).map(([a, ms]) => `  ${(ms/30).toFixed(2).padStart(7)} ${a}`).join("\n"));
    console.log(st.byFunction.slice(0, 30).map(([a, ms]) => `  ${(ms/30).toFixed(2).padStart(7)} ${a}`).join("\n"));
  }
  prof.close();
} finally { await w.stop(); }
