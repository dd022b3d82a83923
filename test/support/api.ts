/**
 * Test helpers that talk to the api worker the way a client does: over HTTP, through the worker's
 * real fetch handler, with real Durable Objects, alarms, D1 and Queues behind it.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

/** A loopback host: dev mode (no API_KEYS) serves only those (CONTRACT.md "Identity"). */
export const BASE = "http://localhost";

export interface RunEnvelope {
  run_id: string;
  seq: number;
  ts: string;
  type: string;
  data: Record<string, unknown>;
  span_id?: string;
  hash: string;
}

export function api(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set("authorization", `Bearer ${init.key}`);
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

export function postJson(path: string, body: unknown, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return api(path, { ...init, method: "POST", headers, body: JSON.stringify(body) });
}

export async function startRun(body: Record<string, unknown>, init: RequestInit & { key?: string } = {}): Promise<string> {
  const response = await postJson("/runs", body, init);
  expect(response.status, await response.clone().text()).toBe(201);
  const json = (await response.json()) as { run_id: string };
  return json.run_id;
}

export async function getJson<T = Record<string, unknown>>(path: string, init: { key?: string } = {}): Promise<T> {
  const response = await api(path, init);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as T;
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function waitForStatus(runId: string, statuses: string[], init: { key?: string } = {}, timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const state = await getJson<{ status: string } & Record<string, unknown>>(`/runs/${runId}/state`, init);
      return statuses.includes(state.status) ? state : undefined;
    },
    `run ${runId} to reach ${statuses.join("/")}`,
    timeoutMs,
  );
}

/** Every event of a run, read as JSON pages. */
export async function allEvents(runId: string, init: { key?: string } = {}): Promise<RunEnvelope[]> {
  const events: RunEnvelope[] = [];
  for (let after = 0; ; ) {
    const page = await getJson<{ events: RunEnvelope[]; next_after: number }>(
      `/runs/${runId}/events?format=json&after=${after}&limit=1000`,
      init,
    );
    events.push(...page.events);
    if (page.events.length < 1000) return events;
    after = page.next_after;
  }
}

export function types(events: RunEnvelope[]): string[] {
  return events.map((e) => e.type);
}
