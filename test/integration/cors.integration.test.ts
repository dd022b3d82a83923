/**
 * CORS (CONTRACT.md "CORS") through the worker's real fetch handler: the headers on every kind of
 * answer an allowed origin can get (JSON, SSE, 204, errors, 404, 405), its preflight on any path,
 * the defaults (any origin in dev mode, none with keys), and that a disallowed origin changes
 * nothing but the absence of the headers.
 */
import { describe, expect, it } from "vitest";
import { readSse } from "../support/sse";
import { KEYED_VARS, keyed, muteErrorLogs } from "../support/keys";
import type { CallInit } from "../support/keys";
import { waitForStatus } from "../support/api";

const APP = "https://app.example";
const OTHER = "https://other.example";
const DEV = {};
const KEYS_WITH_ORIGINS = { ...KEYED_VARS, CORS_ORIGINS: ` ${APP}/ , http://localhost:8821` };

function expectCors(response: Response, origin: string, what: string) {
  expect(response.headers.get("access-control-allow-origin"), what).toBe(origin);
  expect(response.headers.get("access-control-expose-headers"), what).toBe("Retry-After, Idempotency-Key");
  expect(response.headers.get("vary")?.split(",").map((v) => v.trim()), what).toContain("Origin");
}

function expectNoCors(response: Response, what: string) {
  for (const [name] of response.headers) expect(name.startsWith("access-control-"), `${what}: ${name}`).toBe(false);
}

const fromOrigin = (origin: string, init: CallInit = {}): CallInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), origin } });

const preflight = (method: string, headers = "authorization, content-type"): Record<string, string> => ({
  "access-control-request-method": method,
  "access-control-request-headers": headers,
});

muteErrorLogs();

describe("an allowed origin gets the CORS headers on every answer", () => {
  it("dev mode allows any origin by default: JSON, SSE, the 204 at the end, errors, 404 and 405", async () => {
    const vars = DEV;
    const created = await keyed("/runs", fromOrigin(APP, { vars, method: "POST", json: { message: "hello cors" } }));
    expect(created.status).toBe(201);
    expectCors(created, APP, "POST /runs");
    const { run_id } = (await created.json()) as { run_id: string };
    await waitForStatus(run_id, ["completed"]);

    const sse = await keyed(`/runs/${run_id}/events`, fromOrigin(APP, { vars }));
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    expectCors(sse, APP, "SSE");
    const { frames, ended } = await readSse(sse);
    expect(ended).toBe(true);
    expect(frames.some((f) => f.event === "run.completed")).toBe(true);
    const last = Number(frames.filter((f) => f.id !== undefined).at(-1)?.id);
    const end = await keyed(`/runs/${run_id}/events`, fromOrigin(APP, { vars, headers: { origin: APP, "last-event-id": String(last) } }));
    expect(end.status).toBe(204);
    expectCors(end, APP, "204 at the end");

    for (const [what, path, init, status] of [
      ["json page", `/runs/${run_id}/events?format=json`, {}, 200],
      ["health", "/healthz", {}, 200],
      ["400", "/runs", { method: "POST", json: { message: "" } }, 400],
      ["404 route", "/nowhere", {}, 404],
      ["404 run", "/runs/run_01JTESTRVN0000000000000000/state", {}, 404],
      ["405", "/runs/x/state", { method: "DELETE" }, 405],
      ["415", "/runs", { method: "POST", body: "{}" }, 415],
    ] as const) {
      const response = await keyed(path, fromOrigin(APP, { vars, ...init }));
      expect(response.status, what).toBe(status);
      expectCors(response, APP, what);
    }
  });

  it("answers a preflight on any path with 204 and the contract's headers", async () => {
    for (const [path, method] of [
      ["/runs", "POST"],
      ["/runs/run_01JTESTRVN0000000000000000/events", "GET"],
      ["/runs/run_01JTESTRVN0000000000000000/approval", "POST"],
      ["/feedback", "POST"],
      ["/no/such/route", "GET"],
    ] as const) {
      const response = await keyed(path, fromOrigin(APP, { vars: DEV, method: "OPTIONS", headers: { origin: APP, ...preflight(method) } }));
      expect(response.status, path).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(APP);
      expect(response.headers.get("access-control-allow-methods")).toBe("GET, POST, OPTIONS");
      expect(response.headers.get("access-control-allow-headers")).toBe("authorization, content-type, idempotency-key, last-event-id");
      expect(response.headers.get("access-control-max-age")).toBe("600");
      expect(response.headers.get("vary")).toContain("Origin");
      expect(await response.text()).toBe("");
    }
  });

  it("with keys, only the origins CORS_ORIGINS lists, compared as origins", async () => {
    const vars = KEYS_WITH_ORIGINS;
    const listed = await keyed("/runs", fromOrigin(APP, { vars, key: "ann" }));
    expect(listed.status).toBe(200);
    expectCors(listed, APP, "listed origin");
    const local = await keyed("/runs", fromOrigin("http://localhost:8821", { vars }));
    expect(local.status).toBe(401);
    expectCors(local, "http://localhost:8821", "401 to a listed origin");
    const pre = await keyed("/runs", { vars, method: "OPTIONS", headers: { origin: APP, ...preflight("POST") } });
    expect(pre.status).toBe(204);
  });

  it("CORS_ORIGINS=* with keys allows any origin", async () => {
    const response = await keyed("/runs", fromOrigin(OTHER, { vars: { ...KEYED_VARS, CORS_ORIGINS: "*" }, key: "ann" }));
    expectCors(response, OTHER, "*");
  });
});

describe("an origin that is not allowed changes nothing but the missing headers", () => {
  it("with keys and no CORS_ORIGINS, no origin is allowed", async () => {
    const vars = KEYED_VARS;
    for (const [path, init] of [
      ["/runs", { key: "ann" }],
      ["/runs", {}],
      ["/healthz", {}],
      ["/nowhere", {}],
    ] as const) {
      const plain = await keyed(path, { vars, ...init });
      const crossed = await keyed(path, fromOrigin(APP, { vars, ...init }));
      expect(crossed.status, path).toBe(plain.status);
      expectNoCors(crossed, path);
      expect(crossed.headers.get("vary")).toBe(plain.headers.get("vary"));
    }
    // Its preflight is an OPTIONS like any other: 405 on a known path, as without an Origin.
    const pre = await keyed("/runs", { vars, method: "OPTIONS", headers: { origin: APP, ...preflight("POST") } });
    expect(pre.status).toBe(405);
    expectNoCors(pre, "preflight");
  });

  it("an origin missing from CORS_ORIGINS gets the same status and body, without CORS headers", async () => {
    const vars = KEYS_WITH_ORIGINS;
    for (const origin of [OTHER, "https://app.example.evil", "http://app.example", "null"]) {
      const plain = await keyed("/runs?limit=1", { vars, key: "ann" });
      const crossed = await keyed("/runs?limit=1", fromOrigin(origin, { vars, key: "ann" }));
      expect(crossed.status, origin).toBe(200);
      expect(await crossed.json()).toEqual(await plain.json());
      expectNoCors(crossed, origin);
      const pre = await keyed("/runs", { vars, method: "OPTIONS", headers: { origin, ...preflight("POST") } });
      expect(pre.status, origin).toBe(405);
      expectNoCors(pre, `${origin} preflight`);
    }
  });

  it("a request without an Origin gets no CORS headers, whatever the policy", async () => {
    expectNoCors(await keyed("/healthz", { vars: DEV }), "dev");
    expectNoCors(await keyed("/healthz", { vars: KEYS_WITH_ORIGINS }), "keys");
  });
});
