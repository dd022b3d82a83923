/**
 * A small HTTP client for a server that is SIGKILLed under it: a fresh loopback connection per
 * request (a kept-alive socket to a dead server turns into spurious failures of the next request),
 * a timeout on every request, and a clear split between "the server answered" (a status, even 500)
 * and "no answer" (refused, reset, timed out), which is what the driver must retry after a restart.
 */
import http from "node:http";

const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });

export class Unreachable extends Error {
  constructor(method, url, cause) {
    super(`${method} ${url}: no answer (${cause.code ?? cause.message})`);
    this.name = "Unreachable";
    this.code = cause.code ?? "ERR";
  }
}

/**
 * One request. Resolves `{status, json, text, headers}` for any answer; rejects with `Unreachable`
 * when none came (connection refused or reset, timeout).
 */
export function request(method, url, { body, headers = {}, timeoutMs = 20_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: {
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json;
          try {
            json = text === "" ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, json, text, headers: res.headers });
        });
        res.on("error", (error) => reject(new Unreachable(method, url, error)));
        res.on("aborted", () => reject(new Unreachable(method, url, new Error("response aborted"))));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: "ETIMEDOUT" })));
    req.on("error", (error) => reject(new Unreachable(method, url, error)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
