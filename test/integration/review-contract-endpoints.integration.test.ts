/**
 * Endpoints and answers that CONTRACT.md promises and the engine does not provide (the README's
 * changelog lists them as "not yet built"). Clients and outside suites written against the
 * contract get a 404 for each.
 */
import { describe, expect, it } from "vitest";
import { api, postJson, startRun, waitForStatus } from "../support/api";

describe("contract endpoints that answer 404", () => {
  it("GET /runs/{id}/manifest: signed summary of the log's head", async () => {
    const runId = await startRun({ message: "manifest me" });
    await waitForStatus(runId, ["completed"]);
    const response = await api(`/runs/${runId}/manifest`);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.json()).toMatchObject({ run_id: runId, tenant_id: "dev", last_seq: expect.any(Number), head_hash: expect.any(String), signature: expect.any(String) });
  });

  it("GET /runs/{id}/export: the whole log as JSON lines", async () => {
    const runId = await startRun({ message: "export me" });
    await waitForStatus(runId, ["completed"]);
    const response = await api(`/runs/${runId}/export`);
    expect(response.status, await response.clone().text()).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/x-ndjson");
  });

  it("POST /runs/{id}/fork and /replay, and POST /runs/import", async () => {
    const runId = await startRun({ message: "fork me" });
    await waitForStatus(runId, ["completed"]);
    expect((await postJson(`/runs/${runId}/fork`, { at_seq: 3 })).status).toBe(201);
    expect((await postJson(`/runs/${runId}/replay`, {})).status).toBe(201);
    expect((await postJson("/runs/import", { events: [] })).status).not.toBe(404);
  });
});
