/**
 * A run's history as an artefact (CONTRACT.md): its signed manifest, its export as JSON lines, an
 * import of an export as a new run (admin), a replay against the recorded world, and a fork from a
 * step boundary or a wait. Logs move between run objects a page at a time: the source is read in
 * pages of its events, the new run stages each page (checking the hash chain as it comes) and then
 * adopts the log or replays it. The run objects do the work; this only routes and answers.
 */
import { MANIFEST_ALGORITHM, manifestPayload } from "../../engine/manifest";
import type { Principal } from "../../engine/ports";
import { apiSettings } from "../../adapters/api-settings";
import { hmacSigner } from "../../adapters/manifest-signer";
import { systemIds } from "../../adapters/system";
import { objectForRun } from "../../adapters/named-object";
import { checkForkPoint } from "../../durable-objects/run-adoption";
import type { EventsPage } from "../../durable-objects/run-object";
import { hasEnded } from "../../engine/lifecycle";
import { requireScope } from "../auth";
import { ApiError } from "../errors";
import { route } from "../router";
import type { AppContext, RouteDef } from "../router";
import { RunEventSchema } from "../response-schemas";
import { ForkBody, ManifestResponse, NewRunResponse } from "../schemas";
import { callRun, runStub } from "./runs";

const NOT_FOUND = "run not found";
/** An export being imported may be this large (its JSON lines); the log is staged as it streams. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;
const STAGE_PAGE = 500;

type RunStub = ReturnType<typeof runStub>;

function found<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new ApiError("not_found", NOT_FOUND);
  return value;
}

/** A new run of the caller's tenant, to receive a log. */
function newRun(c: AppContext, principal: Principal): { runId: string; stub: RunStub } {
  const runId = systemIds.run();
  return { runId, stub: objectForRun(c.env.RUN_OBJECT, principal.tenant_id, runId) };
}

function chainBroken(seq: number, reason: string): ApiError {
  return new ApiError("invalid_request", `the log is not intact at seq ${seq}: ${reason}`, [{ path: `seq ${seq}`, message: reason }]);
}

/** Stages the source run's events 1..`through` (all when omitted) into `target`, a page at a time. */
async function copyRun(source: RunStub, target: RunStub, through = Number.MAX_SAFE_INTEGER): Promise<void> {
  for (let after = 0; after < through; ) {
    const page: EventsPage | null = await source.eventsPage({ after, limit: Math.min(1000, through - after) });
    if (page === null) throw new ApiError("not_found", NOT_FOUND);
    if (page.events.length === 0) return;
    const staged = await target.stage(page.events);
    if (!staged.ok) throw chainBroken(staged.first_bad_seq, staged.reason);
    after = page.next_after;
  }
}

/** Reads a body of JSON lines as it streams, handing on pages of parsed lines. */
async function* jsonLinePages(c: AppContext): AsyncGenerator<unknown[]> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-ndjson" && type !== "application/jsonl" && type !== "application/json-lines") {
    throw new ApiError("unsupported_media_type", "the body must be an export's JSON lines (application/x-ndjson)");
  }
  const body = c.req.raw.body;
  if (body === null) return;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let buffered = "";
  let size = 0;
  let line = 0;
  let page: unknown[] = [];
  const take = (text: string): void => {
    line += 1;
    if (text.trim() === "") return;
    try {
      page.push(JSON.parse(text));
    } catch {
      throw new ApiError("invalid_json", `line ${line} is not JSON`, [{ path: `line ${line}`, message: "is not JSON" }]);
    }
  };
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > IMPORT_BODY_LIMIT) throw new ApiError("payload_too_large", `the body is larger than ${IMPORT_BODY_LIMIT} bytes`);
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const text of lines) take(text);
    if (page.length >= STAGE_PAGE) {
      yield page;
      page = [];
    }
  }
  take(buffered + decoder.decode());
  if (page.length > 0) yield page;
}

export const runHistoryRoutes: RouteDef[] = [
  route(
    {
      method: "get",
      path: "/runs/{run_id}/manifest",
      operationId: "getRunManifest",
      tags: ["history"],
      summary: "A signed statement of the log's head (HMAC-SHA-256 with MANIFEST_KEY), after verifying the chain",
      scope: "runs:read",
      responses: {
        200: { description: "The manifest; `signed` is false when MANIFEST_KEY is not set", schema: ManifestResponse },
        409: { description: "The log's hash chain is broken: it cannot be vouched for" },
      },
    },
    async (c, { principal, params }) => {
      const check = found(await callRun(c, principal, params.run_id, (stub) => stub.verifyChain()));
      if (!check.valid) throw new ApiError("conflict", `the log's hash chain is broken at seq ${check.first_bad_seq}: it cannot be vouched for`);
      const claims = { run_id: check.run_id, tenant_id: check.tenant_id, last_seq: check.last_seq, head_hash: check.head_hash };
      const key = apiSettings(c.env).manifestKey;
      const signature = key === null ? null : await hmacSigner(key).sign(manifestPayload(claims));
      return c.json({ ...claims, signature, algorithm: MANIFEST_ALGORITHM, signed: signature !== null });
    },
  ),
  route(
    {
      method: "get",
      path: "/runs/{run_id}/export",
      operationId: "exportRun",
      tags: ["history"],
      summary: "The whole log as JSON lines, one envelope a line, streamed from storage a page at a time",
      scope: "runs:read",
      responses: {
        200: {
          description: "Every event of the run, in seq order, one envelope a line",
          content: { "application/x-ndjson": { description: "JSON lines: one event envelope a line", itemSchema: RunEventSchema } },
        },
      },
    },
    async (c, { principal, params }) => {
      const response = found(await callRun(c, principal, params.run_id, (stub) => stub.exportLog()));
      const headers = new Headers(response.headers);
      headers.set("content-disposition", `attachment; filename="${params.run_id}.jsonl"`);
      return new Response(response.body, { status: 200, headers });
    },
  ),
  route(
    {
      method: "post",
      path: "/runs/import",
      operationId: "importRun",
      tags: ["history"],
      summary: "Load an exported log (JSON lines) as a new run of the caller's tenant: chain verified, ids rewritten, a fresh chain",
      scope: "admin",
      bodyLimit: IMPORT_BODY_LIMIT,
      responses: {
        201: { description: "The imported run", schema: NewRunResponse },
        400: { description: "Not an intact log: the first bad seq is named" },
        415: { description: "The body is not application/x-ndjson" },
      },
    },
    async (c, { principal }) => {
      const { runId, stub } = newRun(c, principal);
      let staged = 0;
      try {
        for await (const page of jsonLinePages(c)) {
          const result = await stub.stage(page);
          if (!result.ok) throw chainBroken(result.first_bad_seq, result.reason);
          staged = result.received;
        }
        if (staged === 0) throw new ApiError("invalid_request", "the body holds no events", [{ path: "(body)", message: "is empty" }]);
        const result = await stub.adoptImport({ run_id: runId, tenant_id: principal.tenant_id });
        if (result.outcome !== "adopted") throw new ApiError("invalid_request", "reason" in result ? result.reason : "the log cannot be imported");
      } catch (error) {
        await stub.discardStaged().catch(() => {});
        throw error;
      }
      return c.json({ run_id: runId }, 201);
    },
  ),
  route(
    {
      method: "post",
      path: "/runs/{run_id}/replay",
      operationId: "replayRun",
      tags: ["history"],
      summary: "Start a new run that re-executes this one against its recorded world and compares every event",
      scope: "runs:write",
      responses: {
        201: { description: "The replay run; its log ends in replay.diverged if the engine now writes something else", schema: NewRunResponse },
        409: { description: "The run has not ended" },
      },
    },
    async (c, { principal, params }) => {
      const workflow = await callRun(c, principal, params.run_id, (stub) => stub.getWorkflow());
      if (workflow === null) throw new ApiError("not_found", NOT_FOUND);
      if (!hasEnded(workflow.status)) throw new ApiError("conflict", "the run has not ended; replay it once it has");
      const { runId, stub } = newRun(c, principal);
      await copyRun(runStub(c, principal, params.run_id), stub);
      const result = await stub.startReplay({ run_id: runId, tenant_id: principal.tenant_id });
      if (result.outcome !== "started") throw new ApiError("conflict", result.reason);
      return c.json({ run_id: runId }, 201);
    },
  ),
  route(
    {
      method: "post",
      path: "/runs/{run_id}/fork",
      operationId: "forkRun",
      tags: ["history"],
      summary: "Start a new run whose log begins with this one's events up to at_seq, then goes its own way",
      scope: "runs:write",
      body: ForkBody,
      responses: {
        201: { description: "The fork", schema: NewRunResponse },
        400: { description: "at_seq is not a step boundary or a wait; the nearest valid seqs are named" },
      },
    },
    async (c, { principal, params, body }) => {
      if (body.options?.approval === "never") requireScope(principal, "tools:unattended");
      const points = found(await callRun(c, principal, params.run_id, (stub) => stub.forkPoints()));
      const check = checkForkPoint(points, body.at_seq);
      if (!check.valid) {
        const nearest = check.nearest.length > 0 ? `; the nearest valid ones are ${check.nearest.join(" and ")}` : "; this run has none";
        throw new ApiError("invalid_request", `at_seq: ${body.at_seq} is not a step boundary or a wait${nearest}`, [
          { path: "at_seq", message: `must be a step boundary or a wait (nearest: ${check.nearest.join(", ") || "none"})` },
        ]);
      }
      const { runId, stub } = newRun(c, principal);
      await copyRun(runStub(c, principal, params.run_id), stub, body.at_seq);
      const result = await stub.adoptFork({
        run_id: runId,
        tenant_id: principal.tenant_id,
        at_seq: body.at_seq,
        ...(body.message !== undefined ? { message: body.message } : {}),
        ...(body.options !== undefined ? { options: body.options } : {}),
      });
      if (result.outcome !== "adopted") throw new ApiError("conflict", "reason" in result ? result.reason : "the fork could not be made");
      return c.json({ run_id: runId }, 201);
    },
  ),
];
