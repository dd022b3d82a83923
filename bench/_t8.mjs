import { startWrangler, workerdRss } from "./lib/wrangler.mjs";
import { connectInspector } from "./lib/inspector.mjs";
import { timeRun } from "./offline.mjs";
const w = await startWrangler({ log: (l) => console.log(l) });
try {
  for (let i = 0; i < 5; i++) await timeRun(w.baseUrl);
  const ins = await connectInspector(8841);
  for (let i = 0; i < 3; i++) { const t = Date.now(); console.log("heap", await ins.heapAfterGc().catch(e => String(e)), Date.now() - t); }
  for (let i = 0; i < 20; i++) await timeRun(w.baseUrl);
  for (let i = 0; i < 2; i++) { const t = Date.now(); console.log("heap", await ins.heapAfterGc().catch(e => String(e)), Date.now() - t); }
  ins.close();
} finally { await w.stop(); }
