import { describe, expect, it } from "vitest";
import { api, postJson, startRun, waitFor, waitForStatus } from "../support/api";
import { keyed } from "../support/keys";

async function expectError(response: Response, status: number, code: string, path?: string) {
  expect(response.status, await response.clone().text()).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  const body = (await response.json()) as { error: { code: string; message: string; details?: { path: string }[] } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  if (path !== undefined) expect(body.error.details?.map((d) => d.path)).toContain(path);
  return body.error;
}

describe("bad input to POST /runs gets the contract's error, never a 500", () => {
  it.each([
    ["a missing message", {}, "message"],
    ["an empty message", { message: "" }, "message"],
    ["a blank message", { message: " \n\t " }, "message"],
    ["a message that is not a string", { message: 42 }, "message"],
    ["a message over 32,000 characters", { message: "a".repeat(32_001) }, "message"],
    ["a context that is not an object", { message: "hi", context: [1] }, "context"],
    ["a context over 16 KiB", { message: "hi", context: { blob: "x".repeat(17_000) } }, "context"],
    ["an unknown mode", { message: "hi", mode: "turbo" }, "mode"],
    ["an unknown approval policy", { message: "hi", options: { approval: "sometimes" } }, "options.approval"],
    ["a negative max_tool_calls", { message: "hi", options: { max_tool_calls: -1 } }, "options.max_tool_calls"],
  ])("400 invalid_request for %s", async (_, body, path) => {
    await expectError(await postJson("/runs", body), 400, "invalid_request", path);
  });

  it("counts the 32,000 characters as code points, after trimming", async () => {
    const emoji = "😀".repeat(32_000);
    expect((await postJson("/runs", { message: `  ${emoji}  ` })).status).toBe(201);
  });

  it("400 invalid_json for a body that is not JSON, or not UTF-8", async () => {
    await expectError(await api("/runs", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }), 400, "invalid_json");
    const bytes = new Uint8Array([0x7b, 0x22, 0x6d, 0xff, 0xfe, 0x7d]);
    await expectError(await api("/runs", { method: "POST", headers: { "content-type": "application/json" }, body: bytes }), 400, "invalid_json");
  });

  it("415 for a body that is not application/json", async () => {
    await expectError(await api("/runs", { method: "POST", headers: { "content-type": "text/plain" }, body: '{"message":"hi"}' }), 415, "unsupported_media_type");
    await expectError(await api("/runs", { method: "POST", body: '{"message":"hi"}' }), 415, "unsupported_media_type");
  });

  it("413 for a body over 256 KiB, with or without a Content-Length", async () => {
    const big = JSON.stringify({ message: "hi", context: { blob: "x".repeat(300_000) } });
    await expectError(await api("/runs", { method: "POST", headers: { "content-type": "application/json" }, body: big }), 413, "payload_too_large");
    let sent = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 40) controller.enqueue(new TextEncoder().encode("x".repeat(10_000)));
        else controller.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    const response = await api("/runs", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    await expectError(response, 413, "payload_too_large");
    // The server stops reading an oversized upload instead of draining it. (workerd logs the
    // cut pipe of this in-process request as "Network connection lost"; nothing failed.)
    expect(cancelled || sent < 40).toBe(true);
  });

  it("400 for an Idempotency-Key that is empty or over 128 characters", async () => {
    await expectError(await postJson("/runs", { message: "hi" }, { headers: { "idempotency-key": "k".repeat(129) } }), 400, "invalid_request", "headers.idempotency-key");
  });
});

describe("Idempotency-Key", () => {
  it("returns the same run with 200 for a retried POST, and 409 for the same key with another body", async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const first = await postJson("/runs", { message: "Hello once" }, { headers: { "idempotency-key": key } });
    expect(first.status).toBe(201);
    const { run_id } = (await first.json()) as { run_id: string };
    const again = await postJson("/runs", { message: "Hello once" }, { headers: { "idempotency-key": key } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { run_id: string }).run_id).toBe(run_id);
    await expectError(await postJson("/runs", { message: "Hello twice" }, { headers: { "idempotency-key": key } }), 409, "conflict");
    // The index is written in the background, a few milliseconds after the 201.
    const listed = await waitFor(async () => {
      const runs = (await (await api("/runs?limit=100")).json()) as { runs: { run_id: string }[] };
      return runs.runs.some((r) => r.run_id === run_id) ? runs.runs : undefined;
    }, "the run in the index");
    expect(listed.filter((r) => r.run_id === run_id)).toHaveLength(1);
  });

  it("gives concurrent retries one run between them", async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => postJson("/runs", { message: "race" }, { headers: { "idempotency-key": key } })),
    );
    const ids = new Set(await Promise.all(responses.map(async (r) => ((await r.json()) as { run_id: string }).run_id)));
    expect(ids.size).toBe(1);
    expect(responses.map((r) => r.status).filter((s) => s === 201)).toHaveLength(1);
  });

  it("keeps keys per tenant", async () => {
    const key = `shared-${crypto.randomUUID()}`;
    const a = await keyed("/runs", { method: "POST", key: "ann", json: { message: "x" }, headers: { "idempotency-key": key } });
    const b = await keyed("/runs", { method: "POST", key: "gil", json: { message: "y" }, headers: { "idempotency-key": key } });
    expect([a.status, b.status]).toEqual([201, 201]);
  });
});

describe("routes", () => {
  it("answers an unknown route with a JSON 404 and a wrong method with 405 and Allow", async () => {
    await expectError(await api("/nope"), 404, "not_found");
    await expectError(await api("/runs/run_01JTESTRVN0000000000000000/nothing"), 404, "not_found");
    const wrong = await api("/runs/run_01JTESTRVN0000000000000000/cancel");
    await expectError(wrong, 405, "method_not_allowed");
    expect(wrong.headers.get("allow")).toBe("POST");
    expect((await api("/runs", { method: "DELETE" })).headers.get("allow")).toBe("POST, GET");
    // A trailing slash names no route, whatever the method (the router does not route it either).
    for (const method of ["GET", "POST", "DELETE", "HEAD"]) expect((await api("/runs/", { method })).status).toBe(404);
  });

  it("serves the run inspector's files for GET and HEAD, and answers any other method there with 405 and Allow", async () => {
    const page = await api("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("<html");
    const script = await api("/js/api.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    await script.body?.cancel();
    const head = await api("/inspector.css", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toContain("text/css");
    for (const [method, path] of [["DELETE", "/"], ["POST", "/"], ["PUT", "/index.html"], ["POST", "/js/api.js"]]) {
      const wrong = await api(path!, { method });
      await expectError(wrong, 405, "method_not_allowed");
      expect(wrong.headers.get("allow")).toBe("GET, HEAD");
    }
    await expectError(await api("/js/nope.js"), 404, "not_found");
    await expectError(await api("/js"), 404, "not_found");
  });

  it("answers a malformed or unknown run id with 404", async () => {
    for (const id of ["nope", "run_", "run_01JTESTRVN0000000000000000", "../../etc", "%00"]) {
      await expectError(await api(`/runs/${id}/state`), 404, "not_found");
      await expectError(await api(`/runs/${id}/events`), 404, "not_found");
    }
  });

  it("rejects bad event cursors and formats with 400", async () => {
    const runId = await startRun({ message: "cursor checks" });
    await expectError(await api(`/runs/${runId}/events?after=-1`), 400, "invalid_request", "query.after");
    await expectError(await api(`/runs/${runId}/events?after=1.5`), 400, "invalid_request", "query.after");
    await expectError(await api(`/runs/${runId}/events?format=xml`), 400, "invalid_request", "query.format");
    await expectError(await api(`/runs/${runId}/events`, { headers: { "last-event-id": "abc" } }), 400, "invalid_request", "headers.last-event-id");
    await expectError(await api(`/runs/${runId}/trace?format=zipkin`), 400, "invalid_request");
    await expectError(await api(`/runs?limit=0`), 400, "invalid_request", "query.limit");
    await expectError(await api(`/runs?cursor=garbage`), 400, "invalid_request", "query.cursor");
  });

  it("validates approvals and feedback, and 409s what is not pending or already ended", async () => {
    const runId = await startRun({ message: "Hello" });
    await waitForStatus(runId, ["completed"]);
    await expectError(await postJson(`/runs/${runId}/approval`, { request_id: "tr_x", decision: "maybe" }), 400, "invalid_request", "decision");
    await expectError(await postJson(`/runs/${runId}/approval`, { request_id: "tr_x", decision: "approve" }), 409, "conflict");
    await expectError(await api(`/runs/${runId}/cancel`, { method: "POST" }), 409, "conflict");
    await expectError(await postJson("/feedback", { run_id: runId, rating: "meh" }), 400, "invalid_request", "rating");
    await expectError(await postJson("/feedback", { run_id: runId, rating: "up", comment: "c".repeat(4001) }), 400, "invalid_request", "comment");
    await expectError(await postJson("/feedback", { run_id: "run_01JTESTRVN0000000000000000", rating: "up" }), 404, "not_found");
    await expectError(await postJson("/runs/run_01JTESTRVN0000000000000000/approval", { request_id: "tr_x", decision: "approve" }), 404, "not_found");
  });

  it("publishes health without secrets and an OpenAPI 3.1 document of every route", async () => {
    const health = (await (await api("/healthz")).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: "ok", auth: "dev", model: { provider: "offline" } });
    const doc = (await (await api("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
    };
    expect(doc.openapi).toBe("3.1.0");
    for (const path of ["/runs", "/runs/{run_id}/events", "/runs/{run_id}/state", "/runs/{run_id}/workflow", "/runs/{run_id}/approval", "/runs/{run_id}/cancel", "/runs/{run_id}/trace", "/runs/{run_id}/spans", "/feedback", "/healthz"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    const start = doc.paths["/runs"]?.post?.requestBody as { content: { "application/json": { schema: { $ref: string } } } };
    const body = doc.components.schemas[start.content["application/json"].schema.$ref.replace("#/components/schemas/", "")]!;
    expect(Object.keys(body.properties)).toEqual(["message", "context", "mode", "options"]);
    expect(body.required).toEqual(["message"]);
  });
});

describe("authentication, scopes and tenants", () => {
  it("401 without a key or with an unknown one; health and OpenAPI stay public", async () => {
    await expectError(await keyed("/runs"), 401, "unauthorized");
    await expectError(await keyed("/runs", { key: "not-a-key" }), 401, "unauthorized");
    await expectError(await keyed("/runs", { headers: { authorization: "Basic abc" } }), 401, "unauthorized");
    expect((await keyed("/healthz")).status).toBe(200);
    expect(((await (await keyed("/healthz")).json()) as { auth: string }).auth).toBe("keys");
    expect((await keyed("/openapi.json")).status).toBe(200);
  });

  it("403 when the key lacks the scope", async () => {
    await expectError(await keyed("/runs", { method: "POST", key: "reader", json: { message: "hi" } }), 403, "forbidden");
    await expectError(await keyed("/runs", { method: "POST", key: "ann", json: { message: "hi", options: { approval: "never" } } }), 403, "forbidden");
    expect((await keyed("/runs", { method: "POST", key: "bot", json: { message: "hi", options: { approval: "never" } } })).status).toBe(201);
    expect((await keyed("/runs", { key: "reader" })).status).toBe(200);
  });

  it("hides a run from every other tenant exactly as if it did not exist", async () => {
    const created = await keyed("/runs", { method: "POST", key: "ann", json: { message: "acme's secret" } });
    const { run_id } = (await created.json()) as { run_id: string };
    expect((await keyed(`/runs/${run_id}/state`, { key: "reader" })).status).toBe(200);
    for (const path of ["state", "workflow", "events", "events?format=json", "trace", "spans", "verify"]) {
      await expectError(await keyed(`/runs/${run_id}/${path}`, { key: "gil" }), 404, "not_found");
    }
    await expectError(await keyed(`/runs/${run_id}/cancel`, { method: "POST", key: "gil" }), 404, "not_found");
    await expectError(await keyed(`/runs/${run_id}/approval`, { method: "POST", key: "gil", json: { request_id: "tr_x", decision: "approve" } }), 404, "not_found");
    await expectError(await keyed("/feedback", { method: "POST", key: "gil", json: { run_id, rating: "down" } }), 404, "not_found");
    const listed = (await (await keyed("/runs?limit=100", { key: "gil" })).json()) as { runs: { run_id: string }[] };
    expect(listed.runs.map((r) => r.run_id)).not.toContain(run_id);
  });
});
