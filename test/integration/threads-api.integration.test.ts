/**
 * The thread endpoints as a client sees them: the Thread shape, the index of threads (tenant-scoped,
 * most recently active first, paged), bad input answered with the contract's errors, another
 * tenant's thread a 404 everywhere, and every route in /openapi.json.
 */
import { describe, expect, it } from "vitest";
import { allEvents, api, getJson, postJson, waitFor, waitForStatus } from "../support/api";
import { keyed } from "../support/keys";
import { createThread, getThread, postMessage, waitForIdle } from "../support/threads";

describe("a thread", () => {
  it("is described with its runs in order, its title, metadata and status", async () => {
    const threadId = await createThread({ metadata: { topic: "smoke", n: 1 } });
    expect(threadId).toMatch(/^th_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(await getThread(threadId)).toMatchObject({ thread_id: threadId, tenant_id: "dev", status: "idle", title: "", runs: [], metadata: { topic: "smoke", n: 1 } });
    const first = await postMessage(threadId, { message: "hello   there,\n a long first message that makes a title" });
    expect(first).toMatchObject({ thread_id: threadId, turn: 1, status: "running", events_url: `/runs/${first.run_id}/events`, state_url: `/runs/${first.run_id}/state` });
    await waitForStatus(first.run_id, ["completed"]);
    const second = await postMessage(threadId, { message: "and again" });
    await waitForStatus(second.run_id, ["completed"]);
    const thread = await waitForIdle(threadId);
    expect(thread).toMatchObject({
      status: "idle",
      title: "hello there, a long first message that makes a title",
      runs: [
        { run_id: first.run_id, turn: 1, status: "completed", message_preview: "hello there, a long first message that makes a title" },
        { run_id: second.run_id, turn: 2, status: "completed", message_preview: "and again" },
      ],
    });
    expect(Date.parse(thread.updated_at)).toBeGreaterThan(Date.parse(thread.created_at));
    expect((await allEvents(second.run_id))[0]?.data).toMatchObject({ thread_id: threadId, turn: 2 });
    expect(await getJson(`/runs/${second.run_id}/state`)).toMatchObject({ thread: { thread_id: threadId, turn: 2 } });
  });

  it("can be created with no body at all", async () => {
    const response = await api("/threads", { method: "POST" });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ thread_id: expect.stringMatching(/^th_/), events_url: expect.stringMatching(/^\/threads\/th_.*\/events$/) });
  });
});

describe("bad input", () => {
  it("an unknown multitask, metadata over 4 KiB or not an object, and a bad message are 400", async () => {
    const threadId = await createThread();
    const unknown = await postJson(`/threads/${threadId}/runs`, { message: "hi", multitask: "rollback" });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: "invalid_request", details: [{ path: "multitask" }] } });
    expect((await postJson(`/threads/${threadId}/runs`, { message: "" })).status).toBe(400);
    expect((await postJson(`/threads/${threadId}/runs`, { message: "hi" }, { headers: { "idempotency-key": "k".repeat(129) } })).status).toBe(400);
    const big = await postJson("/threads", { metadata: { note: "x".repeat(4100) } });
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ error: { code: "invalid_request", details: [{ path: "metadata", message: "must be at most 4 KiB as JSON" }] } });
    expect((await postJson("/threads", { metadata: { note: "x".repeat(4000) } })).status).toBe(201);
    expect((await postJson("/threads", { metadata: ["a"] })).status).toBe(400);
    expect((await getThread(threadId)).runs).toEqual([]);
  });

  it("a malformed or unknown thread id is 404 on every route", async () => {
    for (const id of ["nope", "th_01JTESTTHREAD0000000000000", "run_01JTESTRVN0000000000000000"]) {
      expect((await api(`/threads/${id}`)).status, id).toBe(404);
      expect((await postJson(`/threads/${id}/runs`, { message: "hi" })).status, id).toBe(404);
      expect((await api(`/threads/${id}/events`)).status, id).toBe(404);
      expect((await api(`/threads/${id}/events?format=json`)).status, id).toBe(404);
    }
  });
});

describe("tenants", () => {
  it("never see each other's threads: another tenant's thread is a 404 everywhere, and absent from its list", async () => {
    const created = await keyed("/threads", { method: "POST", key: "ann", json: {} });
    expect(created.status).toBe(201);
    const { thread_id } = (await created.json()) as { thread_id: string };
    const posted = await keyed(`/threads/${thread_id}/runs`, { method: "POST", key: "ann", json: { message: "hello" } });
    expect(posted.status).toBe(201);
    for (const [path, init] of [
      [`/threads/${thread_id}`, {}],
      [`/threads/${thread_id}/events?follow=false`, {}],
      [`/threads/${thread_id}/events?format=json`, {}],
      [`/threads/${thread_id}/runs`, { method: "POST", json: { message: "mine now" } }],
    ] as const) {
      expect((await keyed(path, { ...init, key: "gil" })).status, path).toBe(404);
    }
    expect((await keyed(`/threads/${thread_id}`, { key: "ann" })).status).toBe(200);
    const theirs = (await (await keyed("/threads", { key: "gil" })).json()) as { threads: { thread_id: string }[] };
    expect(theirs.threads.map((t) => t.thread_id)).not.toContain(thread_id);
    // A key that may only read cannot start a conversation or post to one.
    expect((await keyed("/threads", { method: "POST", key: "reader", json: {} })).status).toBe(403);
    expect((await keyed(`/threads/${thread_id}/runs`, { method: "POST", key: "reader", json: { message: "hi" } })).status).toBe(403);
  });
});

describe("the list of threads", () => {
  it("is the tenant's, most recently active first, paged by cursor", async () => {
    const key = "bot";
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await keyed("/threads", { method: "POST", key, json: {} });
      ids.push(((await response.json()) as { thread_id: string }).thread_id);
    }
    // The oldest becomes the most recently active.
    expect((await keyed(`/threads/${ids[0]}/runs`, { method: "POST", key, json: { message: "wake up" } })).status).toBe(201);
    type Page = { threads: { thread_id: string; status: string; turns: number; title: string; updated_at: string }[]; next_cursor: string | null };
    const first = await waitFor(async () => {
      const page = (await (await keyed("/threads?limit=2", { key })).json()) as Page;
      return page.threads[0]?.thread_id === ids[0] && page.threads[0]?.title === "wake up" ? page : undefined;
    }, "the index to show the active thread first");
    expect(first.threads).toHaveLength(2);
    expect(first.threads[0]).toMatchObject({ thread_id: ids[0], turns: 1, title: "wake up" });
    expect(first.threads[1]?.thread_id).toBe(ids[2]);
    expect(first.next_cursor).not.toBeNull();
    const rest = (await (await keyed(`/threads?limit=2&cursor=${first.next_cursor}`, { key })).json()) as Page;
    expect(rest.threads.map((t) => t.thread_id)).toContain(ids[1]);
    expect(rest.threads.map((t) => t.thread_id)).not.toContain(ids[0]);
    expect((await keyed("/threads?cursor=not-a-cursor", { key })).status).toBe(400);
  });
});

describe("/openapi.json", () => {
  it("documents every thread route", async () => {
    const doc = await getJson<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>("/openapi.json");
    expect(Object.keys(doc.paths["/threads"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/threads/{thread_id}"] ?? {})).toEqual(["get"]);
    expect(Object.keys(doc.paths["/threads/{thread_id}/runs"] ?? {})).toEqual(["post"]);
    expect(Object.keys(doc.paths["/threads/{thread_id}/events"] ?? {})).toEqual(["get"]);
    expect(Object.keys(doc.paths["/threads/{thread_id}/stream-token"] ?? {})).toEqual(["post"]);
    expect(JSON.stringify(doc.paths["/threads/{thread_id}/runs"])).toContain("#/components/schemas/PostThreadMessageRequest");
    expect(JSON.stringify(doc.components.schemas.PostThreadMessageRequest)).toContain("interrupt");
  });
});
