/**
 * CPU profiles of the api worker's isolate through wrangler's inspector proxy, attributed to
 * source modules. The worker is one esbuild bundle whose modules are introduced by comments such as
 * `// src/engine/state.ts` or `// node_modules/zod/v4/core/schemas.js`, so a sample's line in the
 * bundle says which source module it ran in. Answers to inspector commands may be dropped by the
 * proxy, so only the answer carrying the profile is waited for.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/** The bundle wrangler built for `entryName` under the bench's temp dir: line → module. */
export function bundleModules(dir, root, entryName = "bench-worker.js") {
  const tmp = path.join(dir, ".wrangler/tmp");
  const candidates = readdirSync(tmp)
    .filter((d) => d.startsWith("dev-"))
    .map((d) => path.join(tmp, d, entryName))
    .filter((file) => {
      try {
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
  if (candidates.length === 0) throw new Error(`no ${entryName} under ${tmp}`);
  const lines = readFileSync(candidates[0], "utf8").split("\n");
  const starts = [];
  lines.forEach((line, index) => {
    // esbuild names modules relative to the config's folder (the temp dir): make them repo-relative.
    const match = line.match(/^\/\/ (\S+\.(?:ts|js|mjs|cjs|md))$/);
    if (match) starts.push({ line: index, module: path.relative(root, path.resolve(dir, match[1])) });
  });
  return (lineNumber) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = "(bundle prelude)";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid].line <= lineNumber) {
        found = starts[mid].module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** Groups a module path into a coarse area for the summary. */
export function area(module) {
  if (module.startsWith("node_modules/")) {
    const parts = module.split("/");
    return parts[1].startsWith("@") ? `${parts[1]}/${parts[2]}` : parts[1];
  }
  return module;
}

export async function openProfiler(port) {
  const { default: WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { maxPayload: 1024 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let profile = null;
  ws.on("message", (raw) => {
    const message = JSON.parse(raw);
    if (message.result?.profile) profile = message.result.profile;
  });
  let id = 0;
  const send = (method, params = {}) => ws.send(JSON.stringify({ id: ++id, method, params }));
  return {
    async start(intervalUs = 100) {
      profile = null;
      send("Profiler.enable");
      send("Profiler.setSamplingInterval", { interval: intervalUs });
      send("Profiler.start");
      await new Promise((resolve) => setTimeout(resolve, 300));
    },
    async stop(timeoutMs = 20_000) {
      send("Profiler.stop");
      const until = Date.now() + timeoutMs;
      while (profile === null && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      if (profile === null) throw new Error("profiler: no profile came back");
      return profile;
    },
    close: () => ws.close(),
  };
}

/**
 * Self time per (area, function) and per area, in ms, from a V8 CPU profile. `moduleOf` maps a
 * bundle line to its module; samples outside the bundle keep their url (workerd internals) or
 * their pseudo-name: `(program)` is native work outside JS (storage, streams, the runtime's C++),
 * `(garbage collector)` is GC, `(idle)` is waiting.
 */
export function selfTimes(profile, moduleOf, bundleUrl = "bench-worker.js") {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const perNode = new Map();
  profile.samples.forEach((nodeId, i) => {
    perNode.set(nodeId, (perNode.get(nodeId) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const byArea = new Map();
  const byFunction = new Map();
  for (const [nodeId, ms] of perNode) {
    const frame = byId.get(nodeId).callFrame;
    const where =
      frame.url === bundleUrl ? area(moduleOf(frame.lineNumber)) : frame.url !== "" ? frame.url : frame.functionName || "(anonymous)";
    const fn = `${where} ${frame.functionName || "(anonymous)"}`;
    byArea.set(where, (byArea.get(where) ?? 0) + ms);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const sorted = (map) => [...map].sort((a, b) => b[1] - a[1]);
  return { byArea: sorted(byArea), byFunction: sorted(byFunction) };
}
