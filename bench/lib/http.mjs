/**
 * A lean HTTP and SSE client for the bench (node:http; a fresh loopback connection per request,
 * since a reused keep-alive socket that the dev server closes turns into a spurious "socket hang up"): on this 2-core machine the
 * client shares the CPU with workerd, so it does as little as it can per request and per frame.
 */
import http from "node:http";

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

/** One request; resolves with the status and the body (parsed as JSON when it is JSON). */
export function request(method, url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, json, text });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Like `request`, but throws unless the status is the expected one. */
export async function expectStatus(status, method, url, body) {
  const res = await request(method, url, body);
  if (res.status !== status) throw new Error(`${method} ${url}: expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  return res.json;
}

/**
 * Opens an SSE stream and reads it until it ends. Every frame is handed to `onFrame({id, type,
 * data, at})` as it arrives (`at` is performance.now() when its bytes arrived; `data` the raw
 * line). `opened` resolves once the response headers are in (the subscription exists on the
 * server). Resolves `done` with the frame count; rejects on a non-200 answer, a broken stream, or
 * an exception thrown by `onFrame` (the bench's checks).
 */
export function openSse(url, onFrame = () => {}) {
  let resolveOpened;
  let rejectOpened;
  const opened = new Promise((resolve, reject) => {
    resolveOpened = resolve;
    rejectOpened = reject;
  });
  const done = new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) {
        const error = new Error(`GET ${url}: ${res.statusCode}`);
        rejectOpened(error);
        reject(error);
        res.resume();
        return;
      }
      resolveOpened();
      res.setEncoding("utf8");
      let buffer = "";
      let frames = 0;
      res.on("data", (chunk) => {
        const at = performance.now();
        buffer += chunk;
        // Scan with an index and cut the buffer once per chunk: slicing per frame is quadratic
        // when a large chunk carries thousands of frames.
        let start = 0;
        let end;
        while ((end = buffer.indexOf("\n\n", start)) !== -1) {
          const block = buffer.slice(start, end);
          start = end + 2;
          if (block.startsWith(":")) continue; // `: ping`
          let id = null;
          let type = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) id = Number(line.slice(4));
            else if (line.startsWith("event: ")) type = line.slice(7);
            else if (line.startsWith("data: ")) data = line.slice(6);
          }
          // A frame with no data (the stream's opening `retry:` hint) dispatches no event.
          if (data === "" && id === null) continue;
          frames += 1;
          try {
            onFrame({ id, type, data, at });
          } catch (error) {
            // A check in onFrame failed: stop reading and fail this stream.
            reject(error);
            req.destroy();
            return;
          }
        }
        buffer = buffer.slice(start);
      });
      res.on("end", () => resolve(frames));
      res.on("error", reject);
    });
    req.on("error", (error) => {
      rejectOpened(error);
      reject(error);
    });
  });
  opened.catch(() => {});
  return { opened, done };
}
