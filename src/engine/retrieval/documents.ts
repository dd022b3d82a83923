/**
 * Documents as ingestion sees them: the accepted input shape (the body of
 * `POST /knowledge/documents`, and each bundled file), and its preparation into identified chunks.
 * Preparing is pure: the same document always gives the same chunks, ids and content hash.
 */
import { z } from "zod";
import { canonicalJson, sha256Hex } from "../hash-chain";
import { DEFAULT_CHUNKING, atxHeading, chunkMarkdown, identifyChunks } from "./chunking";
import type { ChunkingOptions, IdentifiedChunk } from "./chunking";

/** Largest accepted document text, in UTF-8 bytes (CONTRACT.md: 1 byte to 1 MiB). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * Most chunks one document may split into: a 1 MiB document of ordinary sections makes about
 * 1,250; one of tiny sections could make a hundred times more and swamp its shard.
 */
export const MAX_DOCUMENT_CHUNKS = 2_000;

/**
 * Most chunks one embedded shard holds. Search keeps a shard's index in memory (about 1.3 KiB a
 * chunk with the local embedder: int8 vectors and postings), and a Durable Object has 128 MB: a
 * tenant beyond this belongs on Vectorize.
 */
export const MAX_SHARD_CHUNKS = 20_000;

export const DocumentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "1 to 128 characters: letters, digits and . _ : - (not first)");

/** Metadata values are scalars, so that every backend (Vectorize included) can store them. */
export const DocumentMetadata = z
  .record(z.string().min(1).max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).length <= 16, "at most 16 keys");

export const DocumentInput = z.object({
  document_id: DocumentId.optional(),
  title: z.string().trim().min(1).max(300).optional(),
  text: z.string().min(1, "must not be empty"),
  metadata: DocumentMetadata.optional(),
});
export type DocumentInput = z.infer<typeof DocumentInput>;

export type DocumentSource = "bundled" | "api";

export interface PreparedDocument {
  document_id: string;
  title: string;
  source: DocumentSource;
  metadata: Record<string, string | number | boolean>;
  /** Hash of everything that determines the chunks: equal hashes mean nothing to do. */
  content_hash: string;
  chunks: IdentifiedChunk[];
}

export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** The text of the first level-1 heading, if the document starts its outline with one. */
export function firstHeading(markdown: string): string | undefined {
  for (const line of markdown.split(/[\n\r\u2028\u2029]/)) {
    if (!line.startsWith("# ") && !line.startsWith("#\t")) continue;
    const heading = atxHeading(line);
    if (heading?.level === 1) return heading.title.trim();
  }
  return undefined;
}

/**
 * Chunks and identifies a document for the shard `namespace`. A document without an id is named by
 * the hash of its text, so posting the same text twice is the same document.
 */
export function prepareDocument(
  namespace: string,
  input: DocumentInput,
  source: DocumentSource,
  options: ChunkingOptions = DEFAULT_CHUNKING,
): PreparedDocument {
  const document_id = input.document_id ?? `doc_${sha256Hex(input.text).slice(0, 20)}`;
  const title = input.title ?? firstHeading(input.text) ?? document_id;
  const metadata = input.metadata ?? {};
  const chunks = identifyChunks(namespace, document_id, chunkMarkdown(input.text, options));
  const content_hash = sha256Hex(canonicalJson({ title, metadata, options, ids: chunks.map((c) => c.id) }));
  return { document_id, title, source, metadata, content_hash, chunks };
}

/** What ingesting a document changes, given the ids of the chunks the index holds for it. */
export interface IngestionPlan {
  add: IdentifiedChunk[];
  keep: IdentifiedChunk[];
  remove: string[];
}

export function planIngestion(existingIds: Iterable<string>, chunks: IdentifiedChunk[]): IngestionPlan {
  const existing = new Set(existingIds);
  const incoming = new Set(chunks.map((c) => c.id));
  return {
    add: chunks.filter((c) => !existing.has(c.id)),
    keep: chunks.filter((c) => existing.has(c.id)),
    remove: [...existing].filter((id) => !incoming.has(id)),
  };
}
