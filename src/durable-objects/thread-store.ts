/**
 * A thread's storage in its Durable Object's SQLite: the thread itself (tenant, metadata, a version
 * bumped by every change the index shows) and its turns, one row per run, with the request each run
 * was asked with, where the turn stands, and once ended its final status and output. Every change is
 * one synchronous transaction; rows read back are parsed (a trust boundary).
 */
import { z } from "zod";
import type { HistoryEntry } from "../engine/events";
import { Turn } from "../engine/threads/turns";
import type { TurnCancel, TurnPhase } from "../engine/threads/turns";
import type { TerminalStatus } from "../engine/lifecycle";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS thread (
  id INTEGER PRIMARY KEY CHECK (id = 1), thread_id TEXT NOT NULL, tenant_id TEXT NOT NULL, metadata TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL, indexed_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS turns (
  turn INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, phase TEXT NOT NULL, ended_status TEXT,
  fingerprint TEXT NOT NULL, message TEXT NOT NULL, request TEXT NOT NULL, output TEXT, cancel TEXT,
  enqueued INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  refused INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS turns_open ON turns (turn) WHERE phase != 'ended';
CREATE INDEX IF NOT EXISTS turns_completed ON turns (turn) WHERE ended_status = 'completed';`;

export const ThreadInfo = z.object({
  thread_id: z.string(),
  tenant_id: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  created_at: z.string(),
  updated_at: z.string(),
  version: z.number().int(),
  indexed_version: z.number().int(),
});
export type ThreadInfo = z.infer<typeof ThreadInfo>;

/** A turn as `GET /threads/{id}` lists it: no request, no output. */
export interface TurnSummary {
  turn: number;
  run_id: string;
  phase: TurnPhase;
  ended_status: TerminalStatus | null;
  message_start: string;
}

type Row = Record<string, SqlStorageValue>;

function turnOf(row: Row): Turn {
  return Turn.parse({
    turn: row.turn,
    run_id: row.run_id,
    phase: row.phase,
    ended_status: row.ended_status ?? null,
    fingerprint: row.fingerprint,
    message: row.message,
    output: row.output ?? null,
    cancel: row.cancel === null || row.cancel === undefined ? null : JSON.parse(String(row.cancel)),
    enqueued: row.enqueued === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
}

const TURN_COLUMNS = "turn, run_id, phase, ended_status, fingerprint, message, output, cancel, enqueued, created_at, updated_at";

export class ThreadStore {
  private readonly sql: SqlStorage;
  private info_: ThreadInfo | null = null;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
    const exists = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'thread'").toArray().length > 0;
    if (exists) {
      this.addRefusedColumn();
      this.info_ = this.readInfo();
    }
  }

  /** A thread created before refused turns were told apart gets the column (0: none was refused). */
  private addRefusedColumn(): void {
    const columns = this.sql.exec<{ name: string }>("PRAGMA table_info(turns)").toArray();
    if (!columns.some((column) => column.name === "refused")) this.sql.exec("ALTER TABLE turns ADD COLUMN refused INTEGER NOT NULL DEFAULT 0");
  }

  private readInfo(): ThreadInfo | null {
    const row = this.sql.exec<Row>("SELECT * FROM thread WHERE id = 1").toArray()[0];
    if (row === undefined) return null;
    return ThreadInfo.parse({ ...row, metadata: JSON.parse(String(row.metadata)) });
  }

  info(): ThreadInfo | null {
    return this.info_;
  }

  create(thread: { thread_id: string; tenant_id: string; metadata: Record<string, unknown>; created_at: string }): ThreadInfo {
    if (this.info_ !== null) return this.info_;
    this.storage.transactionSync(() => {
      this.sql.exec(SCHEMA);
      this.sql.exec(
        "INSERT INTO thread (id, thread_id, tenant_id, metadata, created_at, updated_at, version) VALUES (1, ?, ?, ?, ?, ?, 1)",
        thread.thread_id,
        thread.tenant_id,
        JSON.stringify(thread.metadata),
        thread.created_at,
        thread.created_at,
      );
    });
    this.info_ = this.readInfo();
    return this.info_ as ThreadInfo;
  }

  /** Bumps the version (and `updated_at` when the thread was active): the index row must be written again. */
  private touch(nowIso: string | null): void {
    if (nowIso === null) this.sql.exec("UPDATE thread SET version = version + 1 WHERE id = 1");
    else this.sql.exec("UPDATE thread SET version = version + 1, updated_at = ? WHERE id = 1", nowIso);
  }

  private write(fn: () => void): void {
    this.storage.transactionSync(fn);
    this.info_ = this.readInfo();
  }

  lastTurn(): number {
    if (this.info_ === null) return 0;
    const row = this.sql.exec<{ last: number | null }>("SELECT MAX(turn) AS last FROM turns").toArray()[0];
    return row?.last ?? 0;
  }

  turn(turn: number): Turn | null {
    if (this.info_ === null) return null;
    const row = this.sql.exec<Row>(`SELECT ${TURN_COLUMNS} FROM turns WHERE turn = ?`, turn).toArray()[0];
    return row === undefined ? null : turnOf(row);
  }

  turnByRun(runId: string): Turn | null {
    if (this.info_ === null) return null;
    const row = this.sql.exec<Row>(`SELECT ${TURN_COLUMNS} FROM turns WHERE run_id = ?`, runId).toArray()[0];
    return row === undefined ? null : turnOf(row);
  }

  /** The turns not yet ended, in turn order (a handful: the running one and its queue). */
  openTurns(): Turn[] {
    if (this.info_ === null) return [];
    return this.sql.exec<Row>(`SELECT ${TURN_COLUMNS} FROM turns WHERE phase != 'ended' ORDER BY turn`).toArray().map(turnOf);
  }

  /** Every turn, briefly, in order (for `GET /threads/{id}`). */
  summaries(): TurnSummary[] {
    if (this.info_ === null) return [];
    return this.sql
      .exec<Row>("SELECT turn, run_id, phase, ended_status, substr(message, 1, 200) AS message_start FROM turns ORDER BY turn")
      .toArray()
      .map((row) => ({
        turn: Number(row.turn),
        run_id: String(row.run_id),
        phase: String(row.phase) as TurnPhase,
        ended_status: (row.ended_status ?? null) as TerminalStatus | null,
        message_start: String(row.message_start),
      }));
  }

  /** The first message, for the thread's title. */
  firstMessage(): string | null {
    if (this.info_ === null) return null;
    const row = this.sql.exec<{ m: string }>("SELECT substr(message, 1, 200) AS m FROM turns ORDER BY turn LIMIT 1").toArray()[0];
    return row?.m ?? null;
  }

  /** The request a turn's run is started with (the start command's input, less thread and history). */
  request(turn: number): unknown {
    const row = this.sql.exec<{ request: string }>("SELECT request FROM turns WHERE turn = ?", turn).toArray()[0];
    return row === undefined ? null : (JSON.parse(row.request) as unknown);
  }

  /** A new turn, and the cancels an interrupt asks for, in one transaction. */
  admit(turn: Turn, request: unknown, cancel: { turns: number[]; by: TurnCancel }, nowIso: string): void {
    this.write(() => {
      this.sql.exec(
        `INSERT INTO turns (turn, run_id, phase, fingerprint, message, request, enqueued, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        turn.turn,
        turn.run_id,
        turn.phase,
        turn.fingerprint,
        turn.message,
        JSON.stringify(request),
        turn.created_at,
        turn.updated_at,
      );
      for (const n of cancel.turns) {
        this.sql.exec("UPDATE turns SET cancel = ?, updated_at = ? WHERE turn = ? AND phase != 'ended'", JSON.stringify(cancel.by), nowIso, n);
      }
      this.touch(nowIso);
    });
  }

  /** Moves a turn from one phase to the next; false if it was no longer in `from` (a race already moved it). */
  advancePhase(turn: number, from: TurnPhase, to: TurnPhase, nowIso: string): boolean {
    let changed = false;
    this.write(() => {
      changed = this.sql.exec("UPDATE turns SET phase = ?, updated_at = ? WHERE turn = ? AND phase = ?", to, nowIso, turn, from).rowsWritten > 0;
    });
    return changed;
  }

  markEnqueued(turn: number): void {
    this.sql.exec("UPDATE turns SET enqueued = 1 WHERE turn = ?", turn);
  }

  /**
   * Records a turn's end, once: false if it had already ended. A refused turn (the input layers
   * refused its message) is kept, but is no part of the conversation a later turn sees.
   */
  endTurn(turn: number, status: TerminalStatus, output: string, refused: boolean, nowIso: string): boolean {
    let changed = false;
    this.write(() => {
      changed =
        this.sql.exec(
          "UPDATE turns SET phase = 'ended', ended_status = ?, output = ?, refused = ?, cancel = NULL, updated_at = ? WHERE turn = ? AND phase != 'ended'",
          status,
          output,
          refused ? 1 : 0,
          nowIso,
          turn,
        ).rowsWritten > 0;
      if (changed) this.touch(nowIso);
    });
    return changed;
  }

  /** How many turns before `turn` completed (refused ones aside). */
  completedBefore(turn: number): number {
    const row = this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM turns WHERE ended_status = 'completed' AND refused = 0 AND turn < ?", turn)
      .toArray()[0];
    return row?.n ?? 0;
  }

  /** The completed turns before `turn` (refused ones aside), newest first, read a page at a time as the caller goes on. */
  *completedNewestFirst(turn: number): Generator<HistoryEntry> {
    let before = turn;
    for (;;) {
      const rows = this.sql
        .exec<Row>(
          "SELECT turn, run_id, message, output FROM turns WHERE ended_status = 'completed' AND refused = 0 AND turn < ? ORDER BY turn DESC LIMIT 16",
          before,
        )
        .toArray();
      for (const row of rows) {
        yield { turn: Number(row.turn), run_id: String(row.run_id), message: String(row.message), output: String(row.output ?? "") };
      }
      if (rows.length < 16) return;
      before = Number(rows.at(-1)?.turn);
    }
  }

  markIndexed(version: number): void {
    this.write(() => {
      this.sql.exec("UPDATE thread SET indexed_version = MAX(indexed_version, ?) WHERE id = 1", version);
    });
  }
}
