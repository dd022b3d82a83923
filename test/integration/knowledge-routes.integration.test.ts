/**
 * The knowledge routes through the api worker's real Hono app: success shapes, every bad input,
 * the route's own body limit, scopes, and tenant separation over HTTP.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/worker/app";
import { api, postJson } from "../support/api";
import { readSse } from "../support/sse";

const KEYS = {
  "k-acme-writer": { tenant_id: "acme-http", user_id: "ann", scopes: ["knowledge:write", "runs:read"] },
  "k-acme-reader": { tenant_id: "acme-http", user_id: "bob", scopes: ["runs:read"] },
  "k-acme-writeonly": { tenant_id: "acme-http", user_id: "cy", scopes: ["knowledge:write"] },
  "k-globex": { tenant_id: "globex-http", user_id: "gus", scopes: ["runs:read", "knowledge:write"] },
};
const app = createApp();

/** The app with API keys configured (the test project itself runs in dev mode). */
function withKeys(path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== undefined) headers.set("authorization", `Bearer ${init.key}`);
  const request = new Request(`https://engine.test${path}`, { ...init, headers });
  return Promise.resolve(app.fetch(request, { ...env, API_KEYS: JSON.stringify(KEYS) }, createExecutionContext()));
}

async function errorOf(response: Response): Promise<{ status: number; code: string; details?: { path: string; message: string }[] }> {
  const body = (await response.json()) as { error: { code: string; details?: { path: string; message: string }[] } };
  return { status: response.status, code: body.error.code, ...(body.error.details ? { details: body.error.details } : {}) };
}

const GADGET = "# Gadget\n\n## Battery\n\nThe Gadget battery lasts 31 hours on one charge.";

describe("POST /knowledge/documents", () => {
  it("indexes a document and answers 202 with its id and chunk count; search finds it", async () => {
    const response = await postJson("/knowledge/documents", { document_id: "gadget", title: "Gadget", text: GADGET, metadata: { source: "manual" } });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ document_id: "gadget", chunks: 1 });
    const search = await api("/knowledge/search?q=how+long+does+the+gadget+battery+last&k=3");
    expect(search.status).toBe(200);
    const { chunks } = (await search.json()) as { chunks: { id: string; text: string; score: number; metadata: Record<string, unknown> }[] };
    expect(chunks.length).toBeLessThanOrEqual(3);
    expect(chunks[0]).toMatchObject({ text: "The Gadget battery lasts 31 hours on one charge.", metadata: { document_id: "gadget", source: "manual", heading_path: ["Gadget", "Battery"] } });
    expect(chunks[0]?.id).toMatch(/^ck_/);
    expect(chunks[0]?.score).toBeGreaterThan(0);
  });

  it("accepts a document above the general 256 KiB body limit, up to 1 MiB of text", async () => {
    const big = `# Big\n\n${"All work and no play makes a dull chunk. ".repeat(15_000)}`; // ~600 KiB
    const response = await postJson("/knowledge/documents", { document_id: "big", text: big });
    expect(response.status).toBe(202);
    expect(((await response.json()) as { chunks: number }).chunks).toBeGreaterThan(500);
  });

  it("rejects bad inputs with the contract's errors", async () => {
    expect(await errorOf(await api("/knowledge/documents", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }))).toMatchObject({ status: 415, code: "unsupported_media_type" });
    expect(await errorOf(await api("/knowledge/documents", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }))).toMatchObject({ status: 400, code: "invalid_json" });
    const missing = await errorOf(await postJson("/knowledge/documents", { title: "no text" }));
    expect(missing).toMatchObject({ status: 400, code: "invalid_request" });
    expect(missing.details?.map((d) => d.path)).toEqual(["text"]);
    expect((await errorOf(await postJson("/knowledge/documents", { text: "" }))).details?.[0]).toEqual({ path: "text", message: "must not be empty" });
    expect((await errorOf(await postJson("/knowledge/documents", { text: "x", document_id: "../etc" }))).details?.[0]?.path).toBe("document_id");
    expect((await errorOf(await postJson("/knowledge/documents", { text: "x", metadata: { deep: { a: 1 } } }))).details?.[0]?.path).toBe("metadata.deep");
    const tooLong = await errorOf(await postJson("/knowledge/documents", { text: "é".repeat(524_289) })); // 1 MiB + 2 bytes of UTF-8
    expect(tooLong).toMatchObject({ status: 413, code: "payload_too_large", details: [{ path: "text", message: "must be at most 1 MiB" }] });
    const hugeBody = await errorOf(await postJson("/knowledge/documents", { text: "x".repeat(4 * 1024 * 1024) }));
    expect(hugeBody).toMatchObject({ status: 413, code: "payload_too_large" });
    expect((await errorOf(await api("/knowledge/documents", { method: "PUT" }))).status).toBe(405);
  });
});

describe("GET /knowledge/search", () => {
  it("validates q and k", async () => {
    for (const [query, path] of [["", "query.q"], ["?q=%20%20", "query.q"], ["?q=x&k=0", "query.k"], ["?q=x&k=51", "query.k"], ["?q=x&k=two", "query.k"], [`?q=${"w".repeat(2001)}`, "query.q"]] as const) {
      const error = await errorOf(await api(`/knowledge/search${query}`));
      expect(error, query).toMatchObject({ status: 400, code: "invalid_request" });
      expect(error.details?.[0]?.path, query).toBe(path);
    }
  });

  it("returns k chunks by default 5 from the shared documents", async () => {
    const response = await api("/knowledge/search?q=approval%20expiry");
    const { chunks } = (await response.json()) as { chunks: { metadata: Record<string, unknown> }[] };
    expect(chunks).toHaveLength(5);
    expect(chunks[0]?.metadata.document_id).toBe("approvals");
  });
});

describe("GET /knowledge/events", () => {
  it("replays the tenant's ingestion events and ends with follow=false; Last-Event-ID wins over after", async () => {
    await postJson("/knowledge/documents", { document_id: "gadget", text: GADGET });
    const all = (await readSse(await api("/knowledge/events?follow=false"))).frames.filter((f) => f.data !== undefined);
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all.map((m) => Number(m.id))).toEqual(all.map((_, i) => i + 1));
    const resumed = (await readSse(await api("/knowledge/events?follow=false&after=0", { headers: { "last-event-id": "1" } }))).frames.filter(
      (f) => f.data !== undefined,
    );
    expect(resumed[0]?.id).toBe("2");
    expect(resumed).toHaveLength(all.length - 1);
  });

  it("rejects a cursor that is not a non-negative integer", async () => {
    expect(await errorOf(await api("/knowledge/events?after=-1"))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await api("/knowledge/events", { headers: { "last-event-id": "abc" } }))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await api("/knowledge/events?scope=everyone"))).toMatchObject({ status: 400, code: "invalid_request" });
  });
});

describe("scopes and tenants", () => {
  it("needs a key, knowledge:write to post and runs:read to search or stream", async () => {
    const doc = { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: GADGET }) };
    expect((await errorOf(await withKeys("/knowledge/documents", doc))).status).toBe(401);
    expect(await errorOf(await withKeys("/knowledge/documents", { ...doc, key: "k-acme-reader" }))).toMatchObject({ status: 403, code: "forbidden" });
    expect((await withKeys("/knowledge/documents", { ...doc, key: "k-acme-writeonly" })).status).toBe(202);
    expect((await errorOf(await withKeys("/knowledge/search?q=gadget", { key: "k-acme-writeonly" }))).status).toBe(403);
    expect((await errorOf(await withKeys("/knowledge/events?follow=false", { key: "k-acme-writeonly" }))).status).toBe(403);
    expect((await errorOf(await withKeys("/knowledge/search?q=gadget"))).status).toBe(401);
  });

  it("keeps a tenant's documents from other tenants", async () => {
    const body = JSON.stringify({ document_id: "secret", text: "# Secret plan\n\nThe launch code word is pomegranate." });
    const posted = await withKeys("/knowledge/documents", { method: "POST", headers: { "content-type": "application/json" }, body, key: "k-acme-writer" });
    expect(posted.status).toBe(202);
    const search = async (key: string) =>
      ((await (await withKeys("/knowledge/search?q=launch%20code%20word%20pomegranate&k=10", { key })).json()) as { chunks: { text: string }[] }).chunks.map((c) => c.text);
    expect(await search("k-acme-reader")).toContain("The launch code word is pomegranate.");
    expect((await search("k-globex")).join(" ")).not.toContain("pomegranate");
  });
});

describe("POST /knowledge/documents refuses what would swamp the embedded index", () => {
  it("413s a document that splits into more chunks than one document may have", async () => {
    // Tiny sections: each heading starts a chunk of its own.
    const text = Array.from({ length: 2_100 }, (_, i) => `# S${i}\n\nfact ${i}`).join("\n\n");
    const response = await api("/knowledge/documents", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ document_id: "confetti", text }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string; message: string; details: { path: string }[] } };
    expect(body.error.code).toBe("payload_too_large");
    expect(body.error.message).toMatch(/splits into \d+ chunks; at most 2000/);
    expect(body.error.details[0]?.path).toBe("text");
  });
});
