/** Test helpers for threads, talking to the api worker as a client does (see api.ts). */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { threadObjectName } from "../../src/engine/threads/shapes";
import { api, getJson, postJson, waitFor } from "./api";
import type { RunEnvelope } from "./api";

export interface ThreadRunReply {
  run_id: string;
  thread_id: string;
  turn: number;
  status: string;
  events_url: string;
  state_url: string;
}

export interface ThreadBody {
  thread_id: string;
  tenant_id: string;
  status: "idle" | "busy";
  title: string;
  runs: { run_id: string; turn: number; status: string; message_preview: string }[];
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export function threadStub(threadId: string, tenant = "dev") {
  return env.THREAD_OBJECT.getByName(threadObjectName(tenant, threadId));
}

export async function createThread(body: unknown = {}): Promise<string> {
  const response = await postJson("/threads", body);
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { thread_id: string }).thread_id;
}

export async function postMessage(threadId: string, body: Record<string, unknown>, init: RequestInit = {}): Promise<ThreadRunReply> {
  const response = await postJson(`/threads/${threadId}/runs`, body, init);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as ThreadRunReply;
}

export function getThread(threadId: string): Promise<ThreadBody> {
  return getJson<ThreadBody>(`/threads/${threadId}`);
}

/** Waits until nothing in the thread is running or queued. */
export function waitForIdle(threadId: string, timeoutMs = 15_000): Promise<ThreadBody> {
  return waitFor(
    async () => {
      const thread = await getThread(threadId);
      return thread.status === "idle" ? thread : undefined;
    },
    `thread ${threadId} to be idle`,
    timeoutMs,
  );
}

/** Every event of the thread so far, in order, read as JSON pages. */
export async function threadEvents(threadId: string): Promise<RunEnvelope[]> {
  const events: RunEnvelope[] = [];
  for (let after = "0"; ; ) {
    const page = await getJson<{ events: RunEnvelope[]; next_after: string; done: boolean }>(
      `/threads/${threadId}/events?format=json&after=${after}&limit=1000`,
    );
    events.push(...page.events);
    if (page.events.length === 0) return events;
    after = page.next_after;
  }
}

export function threadApi(threadId: string, path = "", init: RequestInit = {}) {
  return api(`/threads/${threadId}${path}`, init);
}
