// The HTTP API as the page uses it: JSON in and out, the key as `Authorization: Bearer`, every
// failure as an ApiError carrying the contract's {code, message}.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class Api {
  /** @param {import("./settings.js").Settings} settings */
  constructor(settings) {
    this.settings = settings;
  }

  get hasKey() {
    return this.settings.key !== "";
  }

  url(path) {
    return `${this.settings.base}${path}`;
  }

  /**
   * One request. A safe one (a GET, or a POST carrying an Idempotency-Key) is tried again, up to
   * twice, after a network error or a 503/429 that says to retry soon (Retry-After ≤ 2 s).
   */
  async request(method, path, body, { idempotencyKey } = {}) {
    const headers = {};
    if (this.settings.key) headers.authorization = `Bearer ${this.settings.key}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
    const safe = method === "GET" || idempotencyKey !== undefined;
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await fetch(this.url(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (error) {
        if (safe && attempt < 3) {
          await sleep(300 * attempt);
          continue;
        }
        throw new ApiError(0, "network", `could not reach the API at ${this.url(path)} (${error.message})`);
      }
      const retryAfter = Number(response.headers.get("retry-after") ?? NaN);
      if (safe && attempt < 3 && (response.status === 503 || response.status === 429) && retryAfter >= 0 && retryAfter <= 2) {
        await sleep(Math.max(100, retryAfter * 1000));
        continue;
      }
      return read(response);
    }
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body, options) {
    return this.request("POST", path, body, options);
  }

  /** A token for `?access_token=` (only asked for when a key is set: dev mode needs none). */
  async streamToken(runId) {
    return this.post(`/runs/${encodeURIComponent(runId)}/stream-token`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function read(response) {
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below if the status is an error.
  }
  if (!response.ok) {
    const error = json?.error;
    throw new ApiError(response.status, error?.code ?? "http_error", error?.message ?? `${response.status} ${response.statusText}${text && !json ? `: ${text.slice(0, 200)}` : ""}`);
  }
  return json;
}
