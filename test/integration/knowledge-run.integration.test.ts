import { describe, expect, it } from "vitest";
import { allEvents, getJson, postJson, startRun, waitForStatus } from "../support/api";
import { ofType } from "../support/runs";

describe("a run answers from the knowledge base", () => {
  it("retrieves a document the tenant just added and cites its chunk in a verified answer", async () => {
    const title = `Quillfeather ${crypto.randomUUID().slice(0, 8)}`;
    const text = `# ${title}\n\nThe ${title} lighthouse keeper counts exactly 417 gulls every morning before dawn.`;
    const added = await postJson("/knowledge/documents", { title, text });
    expect(added.status).toBe(202);
    const { document_id } = (await added.json()) as { document_id: string };

    const runId = await startRun({ message: `How many gulls does the ${title} lighthouse keeper count?` });
    const state = await waitForStatus(runId, ["completed"]);
    const events = await allEvents(runId);
    const retrieved = ofType(events, "retrieval.completed")[0]?.data as { chunks: { id: string; metadata: { document_id: string } }[] };
    const ours = retrieved.chunks.find((c) => c.metadata.document_id === document_id);
    expect(ours, "the new document's chunk is retrieved").toBeDefined();
    expect(retrieved.chunks[0]?.id).toBe(ours!.id);
    expect(state.output).toContain("417 gulls");
    expect(state.output).toContain(`[chunk:${ours!.id}]`);
    expect(ofType(events, "verification.completed")[0]?.data).toMatchObject({ passed: true, issues: [] });
    expect((await getJson<{ retrieved_chunks: { id: string }[] }>(`/runs/${runId}/state`)).retrieved_chunks.map((c) => c.id)).toContain(ours!.id);
  });
});
