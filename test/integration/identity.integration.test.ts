/**
 * Identity fails closed (CONTRACT.md "Identity"): with no keys configured the worker serves loopback
 * hosts only and refuses every other host with 503; a malformed API_KEYS refuses every request with
 * 500 and logs why; with keys configured any host works. Through the worker's real fetch handler.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { KEYED_VARS, keyed, muteErrorLogs } from "../support/keys";

async function errorCode(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return body.error.code;
}

const DEV_MODES = [
  ["unset", { API_KEYS: undefined }],
  ["empty", { API_KEYS: "" }],
  ["{}", { API_KEYS: "{}" }],
] as const;

const LOOPBACK = ["http://localhost", "http://localhost:8787", "http://127.0.0.1:8787", "http://127.9.8.7", "http://[::1]:8787", "https://127.1"];
const ELSEWHERE = [
  "https://engine.example",
  "https://run-engine.acme.workers.dev",
  "http://10.0.0.1",
  "http://192.168.1.5:8787",
  "http://localhost.evil.example",
  "http://127.0.0.1.nip.io",
  "http://[::2]",
  "http://[::ffff:10.0.0.1]",
];

describe("dev mode serves loopback hosts only", () => {
  muteErrorLogs();

  for (const [label, vars] of DEV_MODES) {
    it(`API_KEYS ${label}: a loopback host is tenant dev with all scopes`, async () => {
      for (const base of LOOPBACK) {
        const listed = await keyed("/runs", { base, vars });
        expect(listed.status, base).toBe(200);
        const health = (await (await keyed("/healthz", { base, vars })).json()) as { auth: string };
        expect(health.auth, base).toBe("dev");
      }
      const created = await keyed("/runs", { base: "http://127.0.0.1:8787", vars, method: "POST", json: { message: "hello from loopback" } });
      expect(created.status).toBe(201);
      const { run_id } = (await created.json()) as { run_id: string; stream_token?: string };
      const state = (await (await keyed(`/runs/${run_id}/state`, { base: "http://localhost", vars })).json()) as { tenant_id: string; user_id: string };
      expect(state).toMatchObject({ tenant_id: "dev", user_id: "dev" });
    });

    it(`API_KEYS ${label}: any other host is refused with 503 not_configured, a key or not`, async () => {
      for (const base of ELSEWHERE) {
        for (const [path, init] of [
          ["/runs", {}],
          ["/runs", { method: "POST", json: { message: "hi" } }],
          ["/runs/run_01JTESTRVN0000000000000000/events", {}],
          ["/runs/run_01JTESTRVN0000000000000000/stream-token", { method: "POST" }],
          ["/tools", { key: "ann" }],
        ] as const) {
          const response = await keyed(path, { base, vars, ...init });
          expect(response.status, `${base}${path}`).toBe(503);
          expect(await errorCode(response)).toBe("not_configured");
        }
        // Health stays public and says why everything else is refused.
        const health = await keyed("/healthz", { base, vars });
        expect(health.status).toBe(200);
        expect(((await health.json()) as { auth: string }).auth).toBe("not_configured");
      }
    });
  }

  it("with keys configured, any host works and a key is what counts", async () => {
    for (const base of ["https://engine.example", "http://10.0.0.1", "http://localhost"]) {
      expect((await keyed("/runs", { base, key: "ann" })).status, base).toBe(200);
      expect((await keyed("/runs", { base })).status, base).toBe(401);
      expect(((await (await keyed("/healthz", { base })).json()) as { auth: string }).auth).toBe("keys");
    }
    const created = await keyed("/runs", { base: "https://engine.example", key: "ann", method: "POST", json: { message: "hello from afar" } });
    expect(created.status).toBe(201);
  });
});

describe("a malformed API_KEYS refuses every request and says why in the log", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const MALFORMED = [
    ["not JSON", "{nope"],
    ["a JSON array", JSON.stringify([KEYED_VARS])],
    ["a JSON string", JSON.stringify("k-ann")],
    ["null", "null"],
    ["an entry without scopes", JSON.stringify({ "k-1": { tenant_id: "acme", user_id: "ann" } })],
    ["an entry with an empty tenant", JSON.stringify({ "k-1": { tenant_id: "", user_id: "ann", scopes: [] } })],
    ["an entry that is a string", JSON.stringify({ "k-1": "acme" })],
  ] as const;

  for (const [label, raw] of MALFORMED) {
    it(`${label}: 500 internal on every host, with or without a key`, async () => {
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      const vars = { API_KEYS: raw };
      for (const base of ["http://localhost", "https://engine.example"]) {
        for (const [path, init] of [
          ["/runs", {}],
          ["/runs", { key: "k-1" }],
          ["/runs", { method: "POST", json: { message: "hi" } }],
          ["/runs/run_01JTESTRVN0000000000000000/events", {}],
          ["/tools", {}],
        ] as const) {
          const response = await keyed(path, { base, vars, ...init });
          expect(response.status, `${base}${path}`).toBe(500);
          const body = (await response.json()) as { error: { code: string; message: string } };
          expect(body.error.code).toBe("internal");
          expect(body.error.message).not.toContain("API_KEYS");
        }
        expect(((await (await keyed("/healthz", { base, vars })).json()) as { auth: string }).auth).toBe("misconfigured");
      }
      const logged = errors.mock.calls.map((args) => String(args[0]));
      expect(logged.some((line) => line.includes("misconfigured") && line.includes("API_KEYS"))).toBe(true);
    });
  }
});
