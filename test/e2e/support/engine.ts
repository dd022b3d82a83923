/** The engine's HTTP API from the test's side (Node's fetch), for setting up and checking runs. */

export interface EngineClient {
  origin: string;
  key?: string;
}

/**
 * wrangler dev's own proxy sometimes answers a request it never passed on with this 503
 * (cloudflare/workers-sdk#14641): that one answer is retried, since the engine never saw it.
 */
const DEV_PROXY_HICCUP = "Your worker restarted mid-request";

async function call<T>(client: EngineClient, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (client.key) headers.authorization = `Bearer ${client.key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${client.origin}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (response.status === 503 && text.startsWith(DEV_PROXY_HICCUP) && attempt < 3) continue;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }
}

export const getJson = <T>(client: EngineClient, path: string) => call<T>(client, "GET", path);
export const postJson = <T>(client: EngineClient, path: string, body?: unknown) => call<T>(client, "POST", path, body);

export async function waitForRun(client: EngineClient, runId: string, statuses: string[], timeoutMs = 20_000): Promise<{ status: string; last_seq: number; tool_requests: { request_id: string; status: string }[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await getJson<{ status: string; last_seq: number; tool_requests: { request_id: string; status: string }[] }>(client, `/runs/${runId}/state`);
    if (statuses.includes(state.status)) return state;
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${state.status}, not ${statuses.join("/")}, after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startRun(client: EngineClient, message: string): Promise<string> {
  return (await postJson<{ run_id: string }>(client, "/runs", { message })).run_id;
}
