/**
 * Stream tokens (CONTRACT.md "Identity"): with keys configured, a token from `POST /runs` or
 * `POST /runs/{id}/stream-token` opens that one run's events (SSE and JSON pages) as
 * `?access_token=`, and nothing else; expired, altered and foreign tokens are 401. Through the
 * worker's real fetch handler and real run objects.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { issueStreamToken } from "../../src/worker/stream-token";
import { eventFrames, readSse } from "../support/sse";
import { KEYED_VARS, keyed, muteErrorLogs } from "../support/keys";
import type { CallInit } from "../support/keys";
import { waitFor } from "../support/api";

type Started = { run_id: string; stream_token?: string };

async function start(key: string, message: string, init: CallInit = {}): Promise<Started> {
  const response = await keyed("/runs", { key, method: "POST", json: { message }, ...init });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Started;
}

async function ended(runId: string, key: string, init: CallInit = {}) {
  await waitFor(async () => {
    const state = (await (await keyed(`/runs/${runId}/state`, { key, ...init })).json()) as { status: string };
    return ["completed", "failed", "cancelled"].includes(state.status) ? state : undefined;
  }, `run ${runId} to end`);
}

async function newToken(runId: string, key: string, init: CallInit = {}) {
  const response = await keyed(`/runs/${runId}/stream-token`, { key, method: "POST", ...init });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { token: string; expires_at: string };
}

async function expectUnauthorized(response: Response, what: string) {
  expect(response.status, what).toBe(401);
  expect(((await response.json()) as { error: { code: string } }).error.code, what).toBe("unauthorized");
}

const eventsPath = (runId: string, token: string, query = "") => `/runs/${runId}/events?access_token=${encodeURIComponent(token)}${query}`;

muteErrorLogs();

describe("a stream token opens one run's events", () => {
  it("POST /runs includes one with keys; it opens the SSE stream and the JSON pages without Authorization", async () => {
    const run = await start("ann", "hello stream token");
    expect(run.stream_token).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    await ended(run.run_id, "ann");
    const token = run.stream_token ?? "";

    const sse = await keyed(eventsPath(run.run_id, token));
    expect(sse.status).toBe(200);
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    const { frames, ended: streamEnded } = await readSse(sse);
    expect(streamEnded).toBe(true);
    const events = eventFrames(frames);
    expect(events[0]?.event).toBe("run.started");
    expect(events.at(-1)?.event).toBe("run.completed");
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));

    const page = await keyed(eventsPath(run.run_id, token, "&format=json&after=0&limit=1000"));
    expect(page.status).toBe(200);
    const body = (await page.json()) as { events: { seq: number }[]; done: boolean };
    expect(body.done).toBe(true);
    expect(body.events).toHaveLength(events.length);

    // Resuming with Last-Event-ID as a reconnecting EventSource does, past the end: 204.
    const resumed = await keyed(eventsPath(run.run_id, token), { headers: { "last-event-id": String(events.length) } });
    expect(resumed.status).toBe(204);
  });

  it("POST /runs/{id}/stream-token answers 201 {token, expires_at}, living STREAM_TOKEN_TTL_S (default 3600 s)", async () => {
    const run = await start("ann", "hello token route");
    const before = Date.now();
    const { token, expires_at } = await newToken(run.run_id, "reader");
    const after = Date.now();
    // Issued at some instant between the two, in whole seconds (rounded down): an hour from then.
    const lifetime = Date.parse(expires_at) - before;
    expect(lifetime).toBeGreaterThan(3_598_000);
    expect(lifetime).toBeLessThanOrEqual(3_600_000 + (after - before));
    expect(expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await keyed(eventsPath(run.run_id, token, "&format=json"))).status).toBe(200);

    const short = await newToken(run.run_id, "ann", { vars: { ...KEYED_VARS, STREAM_TOKEN_TTL_S: "120" } });
    expect(Date.parse(short.expires_at) - Date.now()).toBeLessThanOrEqual(120_000);
    expect(Date.parse(short.expires_at) - Date.now()).toBeGreaterThan(110_000);
  });

  it("404 for an unknown run, another tenant's run, or a malformed id; 401 without a key", async () => {
    const run = await start("ann", "acme's run");
    for (const [path, key] of [
      ["/runs/run_01JTESTRVN0000000000000000/stream-token", "ann"],
      [`/runs/${run.run_id}/stream-token`, "gil"],
      ["/runs/not-a-run/stream-token", "ann"],
    ] as const) {
      const response = await keyed(path, { key, method: "POST" });
      expect(response.status, path).toBe(404);
    }
    await expectUnauthorized(await keyed(`/runs/${run.run_id}/stream-token`, { method: "POST" }), "no key");
  });
});

describe("a token opens nothing else", () => {
  it("is refused by every route but the events routes", async () => {
    const run = await start("ann", "hello other routes");
    await ended(run.run_id, "ann");
    const token = run.stream_token ?? "";
    const q = `?access_token=${token}`;
    for (const [path, init] of [
      [`/runs/${run.run_id}/state${q}`, {}],
      [`/runs/${run.run_id}/workflow${q}`, {}],
      [`/runs/${run.run_id}/trace${q}`, {}],
      [`/runs/${run.run_id}/spans${q}`, {}],
      [`/runs/${run.run_id}/verify${q}`, {}],
      [`/runs/${run.run_id}/stream-token${q}`, { method: "POST" }],
      [`/runs/${run.run_id}/cancel${q}`, { method: "POST" }],
      [`/runs/${run.run_id}/approval${q}`, { method: "POST", json: { request_id: "tr_x", decision: "approve" } }],
      [`/runs${q}`, {}],
      [`/runs${q}`, { method: "POST", json: { message: "hi" } }],
      [`/feedback${q}`, { method: "POST", json: { run_id: run.run_id, rating: "up" } }],
      [`/tools${q}`, {}],
    ] as const) {
      await expectUnauthorized(await keyed(path, init), path);
    }
  });

  it("expired, altered, foreign and malformed tokens are 401", async () => {
    const mine = await start("ann", "hello mine");
    const sibling = await start("ann", "hello sibling");
    const theirs = await start("gil", "hello theirs");
    const token = mine.stream_token ?? "";
    const [version, claims, signature] = token.split(".") as [string, string, string];
    const decoded = JSON.parse(atob(claims.replace(/-/g, "+").replace(/_/g, "/"))) as { ten: string; tgt: string; exp: number };
    const reencode = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const expired = await issueStreamToken({ ...env, ...KEYED_VARS }, "acme", mine.run_id, Date.now() - 3_601_000);
    const flipped = signature.slice(0, -2) + (signature.at(-2) === "A" ? "B" : "A") + signature.at(-1);

    const cases: [string, string, string][] = [
      ["expired", mine.run_id, expired.token],
      ["another run of the same tenant", sibling.run_id, token],
      ["another tenant's run (its own token, on our run id)", mine.run_id, theirs.stream_token ?? ""],
      ["our token on another tenant's run", theirs.run_id, token],
      ["claims altered to another run, signature kept", sibling.run_id, `${version}.${reencode({ ...decoded, tgt: sibling.run_id })}.${signature}`],
      ["claims altered to another tenant, signature kept", theirs.run_id, `${version}.${reencode({ ...decoded, ten: "globex", tgt: theirs.run_id })}.${signature}`],
      ["expiry extended, signature kept", mine.run_id, `${version}.${reencode({ ...decoded, exp: decoded.exp + 86_400 })}.${signature}`],
      ["signature altered", mine.run_id, `${version}.${claims}.${flipped}`],
      ["signature missing", mine.run_id, `${version}.${claims}`],
      ["another version", mine.run_id, `v2.${claims}.${signature}`],
      ["not base64url", mine.run_id, `${version}.${claims}!.${signature}`],
      ["empty", mine.run_id, ""],
      ["an API key in place of a token", mine.run_id, "ann"],
    ];
    for (const [what, runId, bad] of cases) {
      await expectUnauthorized(await keyed(eventsPath(runId, bad, "&format=json")), `${what} (json)`);
      await expectUnauthorized(await keyed(eventsPath(runId, bad, "&follow=false")), `${what} (sse)`);
    }
    // The genuine token still works: the refusals above were about the tokens.
    expect((await keyed(eventsPath(mine.run_id, token, "&format=json"))).status).toBe(200);
  });

  it("is signed with STREAM_TOKEN_SECRET, else with a key derived from API_KEYS: changing either retires it", async () => {
    const withSecret = { ...KEYED_VARS, STREAM_TOKEN_SECRET: "s3cret-one" };
    const run = await start("ann", "hello secrets", { vars: withSecret });
    const token = run.stream_token ?? "";
    expect((await keyed(eventsPath(run.run_id, token, "&format=json"), { vars: withSecret })).status).toBe(200);
    await expectUnauthorized(await keyed(eventsPath(run.run_id, token, "&format=json"), { vars: { ...KEYED_VARS, STREAM_TOKEN_SECRET: "s3cret-two" } }), "other secret");
    await expectUnauthorized(await keyed(eventsPath(run.run_id, token, "&format=json"), { vars: KEYED_VARS }), "secret unset");

    const derived = await newToken(run.run_id, "ann");
    expect((await keyed(eventsPath(run.run_id, derived.token, "&format=json"))).status).toBe(200);
    const rotated = { API_KEYS: JSON.stringify({ ...JSON.parse(KEYED_VARS.API_KEYS), newcomer: { tenant_id: "x", user_id: "y", scopes: [] } }) };
    await expectUnauthorized(await keyed(eventsPath(run.run_id, derived.token, "&format=json"), { vars: rotated }), "keys rotated");
  });

  it("an Authorization header wins over a token: a bad key is 401 whatever the token", async () => {
    const run = await start("ann", "hello header");
    await expectUnauthorized(await keyed(eventsPath(run.run_id, run.stream_token ?? "", "&format=json"), { key: "nope" }), "bad key");
    expect((await keyed(eventsPath(run.run_id, "garbage", "&format=json"), { key: "ann" })).status).toBe(200);
  });
});

describe("dev mode needs no token", () => {
  it("POST /runs has no stream_token, the events open without one, and the token route still answers", async () => {
    const run = await start("unused", "hello dev", { vars: {} });
    expect(run.stream_token).toBeUndefined();
    expect((await keyed(`/runs/${run.run_id}/events?format=json`, { vars: {} })).status).toBe(200);
    const issued = await keyed(`/runs/${run.run_id}/stream-token`, { vars: {}, method: "POST" });
    expect(issued.status).toBe(201);
  });
});
