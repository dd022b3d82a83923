/**
 * The live JS heap of the api worker's isolate (where every run object lives under wrangler dev),
 * read through the DevTools protocol on wrangler's `--inspector-port` (workerd allows one inspector
 * session per isolate, and wrangler holds it, so the bench goes through wrangler's proxy).
 *
 * workerd does not answer `HeapProfiler.collectGarbage`, but a heap snapshot starts with a full GC,
 * so the bench takes one (and throws its chunks away) before `Runtime.getHeapUsage`: what remains
 * is what is reachable. wrangler's proxy forwards the snapshot's chunks but may drop the command's
 * final answer, so the snapshot also counts as done once its JSON has closed (`]}`) and no chunk
 * has come for a moment.
 *
 * Uses the `ws` package, which is installed as a dependency of `openai` and of miniflare; if it is
 * missing or the inspector cannot be reached, `connectInspector` resolves null and the bench
 * reports the heap as n/a.
 */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function connectInspector(port) {
  let WebSocket;
  try {
    ({ default: WebSocket } = await import("ws"));
  } catch {
    return null;
  }
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { maxPayload: 1024 * 1024 * 1024 });
  try {
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
  } catch {
    return null;
  }
  let next = 0;
  const pending = new Map();
  let lastChunkAt = 0;
  let lastChunkEnd = "";
  ws.on("message", (raw) => {
    const message = JSON.parse(raw);
    if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
      lastChunkAt = Date.now();
      lastChunkEnd = message.params.chunk.slice(-2);
      return;
    }
    // Only an answer has result or error (the proxy also echoes requests and sends events).
    if (!pending.has(message.id) || !("result" in message || "error" in message)) return;
    const { resolve, reject } = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) reject(new Error(`${message.error.message}`));
    else resolve(message.result);
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });

  async function snapshot(timeoutMs = 60_000) {
    lastChunkAt = 0;
    lastChunkEnd = "";
    let answered = false;
    call("HeapProfiler.takeHeapSnapshot", { reportProgress: false }).then(() => (answered = true), () => (answered = true));
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (answered) return;
      if (lastChunkEnd === "]}" && Date.now() - lastChunkAt > 300) return;
      await sleep(50);
    }
    throw new Error("inspector: the heap snapshot did not finish");
  }

  return {
    /** Bytes of JS heap in use right after a full GC. */
    async heapAfterGc() {
      await snapshot();
      const usage = await Promise.race([call("Runtime.getHeapUsage"), sleep(10_000).then(() => null)]);
      if (usage === null) throw new Error("inspector: no answer to Runtime.getHeapUsage");
      return usage.usedSize;
    },
    close() {
      ws.close();
    },
  };
}
