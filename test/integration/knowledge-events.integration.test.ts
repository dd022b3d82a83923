/**
 * The knowledge event stream of a shard, read as SSE from the KnowledgeObject: replay, resume,
 * live delivery after commit, the hash chain, and the heartbeat.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { knowledgeEvents, upsertTenantDocument } from "../../src/adapters/retriever";
import { ChainVerifier } from "../../src/engine/hash-chain";
import { parseEvent } from "../../src/engine/events";
import { eventFrames, readSse } from "../support/sse";

const doc = (n: number) => ({ document_id: `d${n}`, text: `# Doc ${n}\n\nFact number ${n}.` });

describe("GET /events on a knowledge shard", () => {
  it("replays the stream with contiguous ids and a valid hash chain, then ends when not following", async () => {
    await upsertTenantDocument(env, "ev-replay", doc(1));
    await upsertTenantDocument(env, "ev-replay", doc(2));
    const response = await knowledgeEvents(env, "ev-replay", "tenant", 0, false);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("cache-control")).toBe("no-cache, no-transform");
    const { frames: all, ended } = await readSse(response);
    expect(ended).toBe(true);
    expect(all[0]?.retry, "every stream opens with retry:").toBe("1000");
    const frames = all.filter((f) => f.data !== undefined);
    expect(frames.map((f) => f.id)).toEqual(["1", "2", "3", "4"]);
    const verifier = new ChainVerifier();
    for (const frame of frames) {
      const envelope = JSON.parse(frame.data ?? "") as Record<string, unknown>;
      const event = parseEvent(envelope);
      expect(event.type).toBe(frame.event);
      expect(event.run_id).toBe("knowledge:tenant:ev-replay");
      verifier.push(envelope);
    }
    expect(verifier.result().valid).toBe(true);
    expect(parseEvent(JSON.parse(frames[3]?.data ?? "")).data).toMatchObject({ source: "api", documents: 1, chunks_added: 1 });
  });

  it("resumes after N, and delivers live events after their commit without a gap or a duplicate", async () => {
    await upsertTenantDocument(env, "ev-live", doc(1));
    const reading = readSse(await knowledgeEvents(env, "ev-live", "tenant", 1, true), { stop: (f) => eventFrames(f).length >= 5 });
    await upsertTenantDocument(env, "ev-live", doc(2));
    await upsertTenantDocument(env, "ev-live", doc(3));
    const events = eventFrames((await reading).frames);
    expect(events.map((e) => e.id)).toEqual([2, 3, 4, 5, 6]);
    expect(events.map((e) => e.event)).toEqual([
      "knowledge.ingestion.completed",
      "knowledge.ingestion.started",
      "knowledge.ingestion.completed",
      "knowledge.ingestion.started",
      "knowledge.ingestion.completed",
    ]);
  });

  it("sends a ping while idle and stays open (a knowledge stream has no end)", async () => {
    const { frames, ended } = await readSse(await knowledgeEvents(env, "ev-idle", "tenant", 0, true), {
      stop: (f) => f.some((x) => x.comment === "ping"),
      timeoutMs: 3000,
    });
    expect(frames).toContainEqual({ comment: "ping" });
    expect(ended).toBe(false);
  });

  it("streams the shared shard's bundled ingestion with scope shared", async () => {
    const events = eventFrames((await readSse(await knowledgeEvents(env, "anyone", "shared", 0, false))).frames);
    expect(events[0]?.event).toBe("knowledge.ingestion.started");
    expect(events[0]?.data).toMatchObject({ run_id: "knowledge:shared", data: { source: "bundled" } });
    expect(events[1]?.event).toBe("knowledge.ingestion.completed");
  });
});
