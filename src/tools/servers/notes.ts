/**
 * The notes MCP server for one tenant: `save` (side-effecting, so it needs approval under `auto`)
 * and `list` (read-only). The tenant is fixed when the server is built; the executor worker builds
 * one per request from the caller's tenant.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { DEDUPES_META, REQUEST_ID_META } from "../protocol-meta";
import { SERVER_OPTIONS } from "./http";
import type { NotesBackend } from "./notes-store";

const NoteShape = { id: z.string(), title: z.string(), text: z.string(), created_at: z.string() };
export const MAX_NOTE_TEXT = 10_000;
const MAX_TITLE = 200;
const LIST_LIMIT = 100;

/** A note without a title is titled by the start of its first line. */
export function defaultTitle(text: string): string {
  const firstLine = text.trim().split("\n")[0] ?? "";
  return firstLine.length > 60 ? `${firstLine.slice(0, 59)}…` : firstLine;
}

export function createNotesServer(backend: NotesBackend): McpServer {
  const server = new McpServer({ name: "notes", version: "1.0.0" }, SERVER_OPTIONS);
  server.registerTool(
    "save",
    {
      title: "Save a note",
      description: "Saves a note for the tenant. Side effect: the note is stored and listed later.",
      inputSchema: {
        title: z.string().min(1).max(MAX_TITLE).optional().describe("a short title; defaults to the start of the text"),
        text: z.string().min(1).max(MAX_NOTE_TEXT).describe("the note itself"),
      },
      outputSchema: NoteShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
      // NotesStore.save keeps one note per request key: a repeated call returns the first note.
      _meta: { [DEDUPES_META]: true },
    },
    async ({ title, text }, extra) => {
      const key = extra._meta?.[REQUEST_ID_META];
      const note = await backend.save({ title: title ?? defaultTitle(text), text }, typeof key === "string" ? key : null);
      return { content: [{ type: "text", text: `Saved note "${note.title}".` }], structuredContent: note };
    },
  );
  server.registerTool(
    "list",
    {
      title: "List notes",
      description: `Lists the tenant's notes, newest first (at most ${LIST_LIMIT}).`,
      inputSchema: {},
      outputSchema: { notes: z.array(z.object(NoteShape)) },
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async () => {
      const notes = await backend.list(LIST_LIMIT);
      const text = notes.length === 0 ? "No notes." : notes.map((note) => `- ${note.title}: ${note.text}`).join("\n");
      return { content: [{ type: "text", text }], structuredContent: { notes } };
    },
  );
  return server;
}
