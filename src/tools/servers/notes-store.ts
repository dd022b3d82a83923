/**
 * NotesStore: one Durable Object per tenant (named by tenant id) holding that tenant's notes in
 * SQLite. `save` is idempotent on an optional request key, so a tool call that is executed twice
 * (a redelivered message) still leaves one note.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { ToolsEnv } from "../env";

export const Note = z.object({ id: z.string(), title: z.string(), text: z.string(), created_at: z.string() });
export type Note = z.infer<typeof Note>;

export interface NoteInput {
  title: string;
  text: string;
}

/** What the notes server needs from storage; the Durable Object's RPC stub provides it. */
export interface NotesBackend {
  save(input: NoteInput, requestKey: string | null): Promise<Note>;
  list(limit: number): Promise<Note[]>;
}

export class NotesStore extends DurableObject<ToolsEnv> implements NotesBackend {
  constructor(ctx: DurableObjectState, env: ToolsEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS notes (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      title TEXT NOT NULL,
      text TEXT NOT NULL,
      created_at TEXT NOT NULL,
      request_key TEXT UNIQUE
    )`);
  }

  async save(input: NoteInput, requestKey: string | null): Promise<Note> {
    const sql = this.ctx.storage.sql;
    if (requestKey !== null) {
      const existing = sql.exec("SELECT id, title, text, created_at FROM notes WHERE request_key = ?", requestKey).toArray();
      if (existing[0]) return Note.parse(existing[0]);
    }
    const note: Note = { id: `note_${crypto.randomUUID()}`, title: input.title, text: input.text, created_at: new Date().toISOString() };
    sql.exec(
      "INSERT INTO notes (id, title, text, created_at, request_key) VALUES (?, ?, ?, ?, ?)",
      note.id,
      note.title,
      note.text,
      note.created_at,
      requestKey,
    );
    return note;
  }

  /** Newest first. */
  async list(limit: number): Promise<Note[]> {
    const rows = this.ctx.storage.sql.exec("SELECT id, title, text, created_at FROM notes ORDER BY seq DESC LIMIT ?", limit).toArray();
    return rows.map((row) => Note.parse(row));
  }
}
