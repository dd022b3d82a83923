/**
 * The knowledge event stream of a shard, read as SSE from the KnowledgeObject: replay, resume,
 * live delivery after commit, the hash chain, and the heartbeat.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { knowledgeEvents, upsertTenantDocument } from "../../src/adapters/retriever";
import { ChainVerifier } from "../../src/engine/hash-chain";
import { parseEvent } from "../../src/engine/events";
import { SseReader } from "../support/sse";

const doc = (n: number) => ({ document_id: `d${n}`, text: `# Doc ${n}\n\nFact number ${n}.` });

describe("GET /events on a knowledge shard", () => {
  it("replays the stream with contiguous ids and a valid hash chain, then ends when not following", async () => {
    await upsertTenantDocument(env, "ev-replay", doc(1));
    await upsertTenantDocument(env, "ev-replay", doc(2));
    const response = await knowledgeEvents(env, "ev-replay", "tenant", 0, false);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    const reader = new SseReader(response);
    const messages = await reader.events(10);
    expect(await reader.next()).toBeNull();
    expect(reader.ended).toBe(true);
    expect(messages.map((m) => m.id)).toEqual(["1", "2", "3", "4"]);
    const verifier = new ChainVerifier();
    for (const m of messages) {
      const envelope = JSON.parse(m.data ?? "") as Record<string, unknown>;
      const event = parseEvent(envelope);
      expect(event.type).toBe(m.event);
      expect(event.run_id).toBe("knowledge:tenant:ev-replay");
      verifier.push(envelope);
    }
    expect(verifier.result().valid).toBe(true);
    const completed = parseEvent(JSON.parse(messages[3]?.data ?? ""));
    expect(completed.data).toMatchObject({ source: "api", documents: 1, chunks_added: 1 });
  });

  it("resumes after N, and delivers live events after their commit without a gap or a duplicate", async () => {
    await upsertTenantDocument(env, "ev-live", doc(1));
    const reader = new SseReader(await knowledgeEvents(env, "ev-live", "tenant", 1, true));
    const replay = await reader.events(1);
    expect(replay.map((m) => m.id)).toEqual(["2"]);
    await upsertTenantDocument(env, "ev-live", doc(2));
    await upsertTenantDocument(env, "ev-live", doc(3));
    const live = await reader.events(4);
    expect(live.map((m) => m.id)).toEqual(["3", "4", "5", "6"]);
    expect(live.map((m) => m.event)).toEqual([
      "knowledge.ingestion.started",
      "knowledge.ingestion.completed",
      "knowledge.ingestion.started",
      "knowledge.ingestion.completed",
    ]);
    await reader.cancel();
  });

  it("sends a ping while idle", async () => {
    const reader = new SseReader(await knowledgeEvents(env, "ev-idle", "tenant", 0, true));
    const message = await reader.next(3000);
    expect(message).toEqual({ comment: "ping" });
    await reader.cancel();
  });

  it("streams the shared shard's bundled ingestion with ?scope=shared", async () => {
    const reader = new SseReader(await knowledgeEvents(env, "anyone", "shared", 0, false));
    const messages = await reader.events(10);
    expect(messages[0]?.event).toBe("knowledge.ingestion.started");
    expect(parseEvent(JSON.parse(messages[0]?.data ?? "")).data).toMatchObject({ source: "bundled" });
    expect(messages[1]?.event).toBe("knowledge.ingestion.completed");
  });
});
