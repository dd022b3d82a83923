/**
 * The knowledge routes (CONTRACT.md): `POST /knowledge/documents` (scope `knowledge:write`),
 * `GET /knowledge/search` and `GET /knowledge/events` (scope `runs:read`). Validation and
 * authorisation only; the work happens in the KnowledgeObject shards behind `adapters/retriever`.
 *
 * Body size: a document's text may be up to 1 MiB, more than the api's general 256 KiB body
 * limit, so this route reads its body with its own limit of 4 MiB (room for JSON escaping of a
 * 1 MiB text) and must be exempt from the general one. Over 4 MiB of body, or over 1 MiB of
 * UTF-8 text, is `413 payload_too_large`.
 *
 * `GET /knowledge/events` streams the ingestion events of the caller's tenant shard, or with
 * `?scope=shared` those of the shared (bundled) shard, by the rules of the run event streams:
 * `Last-Event-ID` (wins) or `?after=N` resumes, `?follow=false` ends after the replay, `: ping`
 * every 15 s. A knowledge stream has no terminal event, so a following stream stays open.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import type { Principal } from "../../engine/ports";
import { DocumentInput, MAX_DOCUMENT_BYTES, utf8Length } from "../../engine/retrieval/documents";
import { createRetriever, knowledgeEvents, upsertTenantDocument } from "../../adapters/retriever";
import type { KnowledgeEnv } from "../../adapters/retriever";
import { ApiError, readJsonBody, zodDetails } from "./knowledge-http";

export const MAX_DOCUMENT_BODY_BYTES = 4 * 1024 * 1024;

export type KnowledgeRouteEnv = { Bindings: KnowledgeEnv; Variables: { principal: Principal } };

const SearchParams = z.object({
  q: z.string().trim().min(1, "must not be empty").max(2000),
  k: z.coerce.number().int().min(1).max(50).default(5),
});

const EventsParams = z.object({
  scope: z.enum(["tenant", "shared"]).default("tenant"),
  after: z
    .string()
    .regex(/^\d{1,15}$/, "must be a non-negative integer")
    .transform(Number)
    .default(0),
  follow: z.enum(["true", "false"]).default("true"),
});

function requireScope(principal: Principal, scope: string): void {
  if (!principal.scopes.includes(scope) && !principal.scopes.includes("admin")) {
    throw new ApiError(403, "forbidden", `this action needs the scope ${scope}`);
  }
}

function query(c: Context<KnowledgeRouteEnv>, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = c.req.query(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function knowledgeRoutes(): Hono<KnowledgeRouteEnv> {
  const app = new Hono<KnowledgeRouteEnv>();

  app.post("/knowledge/documents", async (c) => {
    const principal = c.get("principal");
    requireScope(principal, "knowledge:write");
    const body = await readJsonBody(c.req.raw, MAX_DOCUMENT_BODY_BYTES);
    const parsed = DocumentInput.safeParse(body);
    if (!parsed.success) throw new ApiError(400, "invalid_request", "the document is not valid", zodDetails(parsed.error));
    if (utf8Length(parsed.data.text) > MAX_DOCUMENT_BYTES) {
      throw new ApiError(413, "payload_too_large", "text: at most 1 MiB (1,048,576 bytes of UTF-8)", [
        { path: "text", message: "at most 1 MiB" },
      ]);
    }
    const result = await upsertTenantDocument(c.env, principal.tenant_id, parsed.data);
    return c.json(result, 202);
  });

  app.get("/knowledge/search", async (c) => {
    const principal = c.get("principal");
    requireScope(principal, "runs:read");
    const parsed = SearchParams.safeParse(query(c, ["q", "k"]));
    if (!parsed.success) throw new ApiError(400, "invalid_request", "invalid search parameters", zodDetails(parsed.error));
    const chunks = await createRetriever(c.env).search({ tenantId: principal.tenant_id, query: parsed.data.q, k: parsed.data.k, signal: c.req.raw.signal });
    return c.json({ chunks: chunks.map(({ id, text, score, metadata }) => ({ id, text, score, metadata })) });
  });

  app.get("/knowledge/events", async (c) => {
    const principal = c.get("principal");
    requireScope(principal, "runs:read");
    const params = query(c, ["scope", "after", "follow"]);
    // A browser's EventSource reconnects with the original URL plus Last-Event-ID: the header wins.
    const lastEventId = c.req.header("last-event-id");
    if (lastEventId !== undefined) params.after = lastEventId.trim();
    const parsed = EventsParams.safeParse(params);
    if (!parsed.success) throw new ApiError(400, "invalid_request", "invalid stream parameters", zodDetails(parsed.error));
    const { scope, after, follow } = parsed.data;
    return knowledgeEvents(c.env, principal.tenant_id, scope, after, follow === "true");
  });

  return app;
}
