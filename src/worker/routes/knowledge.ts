/**
 * The knowledge routes (CONTRACT.md): `POST /knowledge/documents` (scope `knowledge:write`),
 * `GET /knowledge/search` and `GET /knowledge/events` (scope `runs:read`). Validation and
 * authorisation only; the work happens in the KnowledgeObject shards behind `adapters/retriever`.
 *
 * Body size: a document's text may be up to 1 MiB, more than the api's general 256 KiB body
 * limit, so this one route reads bodies up to 4 MiB (room for the JSON escaping of a 1 MiB text).
 * Over 4 MiB of body, or over 1 MiB of UTF-8 text, is `413 payload_too_large`.
 *
 * `GET /knowledge/events` streams the ingestion events of the caller's tenant shard, or with
 * `?scope=shared` those of the shared (bundled) shard, by the rules of the run event streams:
 * `Last-Event-ID` (wins) or `?after=N` resumes, `?follow=false` ends after the replay, `: ping`
 * while idle. A knowledge stream has no terminal event, so a following stream stays open. It is
 * served as SSE only: `format=json` (the run events' JSON page) is refused with a 400 rather than
 * ignored, since an ignored `format=json` answered with a stream that never ends.
 */
import { z } from "zod";
import { ChunkRef } from "../../engine/events";
import { DocumentInput, MAX_DOCUMENT_BYTES, utf8Length } from "../../engine/retrieval/documents";
import { createRetriever, knowledgeEvents, upsertTenantDocument } from "../../adapters/retriever";
import { ApiError } from "../errors";
import { route } from "../router";
import type { RouteDef } from "../router";
import { SSE_MEDIA, resumeCursor } from "./runs";

export const DOCUMENT_BODY_LIMIT = 4 * 1024 * 1024;

export const UpsertDocumentResponse = z.object({ document_id: z.string(), chunks: z.number().int().min(0) });

export const SearchQueryParams = z.object({
  q: z.string().trim().min(1, "must not be empty").max(2000, "must be at most 2,000 characters"),
  k: z.coerce.number().int().min(1).max(50).default(5),
});
export const SearchResponse = z.object({ chunks: z.array(ChunkRef) });

export const KnowledgeEventsQuery = z.object({
  format: z.enum(["sse"], { error: "knowledge events are served as SSE only (use follow=false for a finite replay)" }).default("sse"),
  scope: z.enum(["tenant", "shared"]).default("tenant"),
  after: z
    .string()
    .regex(/^\d{1,15}$/, "must be a non-negative integer")
    .transform(Number)
    .optional(),
  follow: z.enum(["true", "false"]).default("true"),
});

export const knowledgeRoutes: RouteDef[] = [
  route(
    {
      method: "post",
      path: "/knowledge/documents",
      operationId: "upsertDocument",
      tags: ["knowledge"],
      summary: "Add or replace one of the tenant's private markdown documents; chunk, embed, index",
      scope: "knowledge:write",
      body: DocumentInput,
      bodyLimit: DOCUMENT_BODY_LIMIT,
      responses: {
        202: { description: "The document is indexed", schema: UpsertDocumentResponse },
        413: { description: "The body is over 4 MiB or the text over 1 MiB" },
      },
    },
    async (c, { principal, body }) => {
      if (utf8Length(body.text) > MAX_DOCUMENT_BYTES) {
        throw new ApiError("payload_too_large", "text: must be at most 1 MiB (1,048,576 bytes of UTF-8)", [
          { path: "text", message: "must be at most 1 MiB" },
        ]);
      }
      const result = await upsertTenantDocument(c.env, principal.tenant_id, body);
      if (result.outcome === "refused") throw new ApiError("payload_too_large", `text: ${result.reason}`, [{ path: "text", message: result.reason }]);
      return c.json({ document_id: result.document_id, chunks: result.chunks }, 202);
    },
  ),
  route(
    {
      method: "get",
      path: "/knowledge/search",
      operationId: "searchKnowledge",
      tags: ["knowledge"],
      summary: "Top-k chunks for a query over the shared and the tenant's documents (for debugging retrieval)",
      scope: "runs:read",
      query: SearchQueryParams,
      responses: { 200: { description: "The best chunks, best first", schema: SearchResponse } },
    },
    async (c, { principal, query }) => {
      const chunks = await createRetriever(c.env).search({ tenantId: principal.tenant_id, query: query.q, k: query.k, signal: c.req.raw.signal });
      return c.json({ chunks: chunks.map(({ id, text, score, metadata }) => ({ id, text, score, metadata })) });
    },
  ),
  route(
    {
      method: "get",
      path: "/knowledge/events",
      operationId: "getKnowledgeEvents",
      tags: ["knowledge", "events"],
      summary: "SSE: the ingestion events of the tenant's documents, or of the shared ones with scope=shared",
      description:
        "A `text/event-stream` by the rules of the run streams, over a log that never ends: replay after the cursor, then live (`follow=false`: the replay only). There is no JSON page: `format=json` is a 400.",
      scope: "runs:read",
      query: KnowledgeEventsQuery,
      headers: [{ name: "Last-Event-ID", description: "Resume after this seq (wins over ?after=)", schema: z.string() }],
      responses: { 200: { description: "The stream of ingestion events", content: { "text/event-stream": SSE_MEDIA } } },
    },
    async (c, { principal, query }) =>
      knowledgeEvents(c.env, principal.tenant_id, query.scope, resumeCursor(c, query.after), query.follow === "true"),
  ),
];
