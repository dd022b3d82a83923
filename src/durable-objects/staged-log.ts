/**
 * A log received from elsewhere, staged in the receiving run's SQLite before the run adopts it: an
 * export being imported, a source run being forked or replayed. Pages arrive in order; each
 * envelope's shape, seq and hash chain are checked as it arrives (a broken chain is refused at its
 * first bad seq and nothing is kept), so memory stays flat whatever the log's length. Once whole, it
 * is read back by seq: copied into the run's own log, or replayed as the recording.
 */
import { z } from "zod";
import type { RunEvent } from "../engine/events";
import { parseEvent } from "../engine/events";
import { GENESIS_HASH, chainHash } from "../engine/hash-chain";
import type { RecordedLog } from "../engine/replay/recording";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS staged (seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS staged_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL, run_id TEXT NOT NULL);`;

export type StageResult = { ok: true; received: number } | { ok: false; first_bad_seq: number; reason: string };

const Head = z.object({ seq: z.number(), hash: z.string(), run_id: z.string() });

export class StagedLog implements RecordedLog {
  private readonly cache = new Map<number, RunEvent>();

  constructor(private readonly sql: SqlStorage) {}

  private exists(): boolean {
    return this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'staged'").toArray().length > 0;
  }

  /** The last staged seq, its hash and the source run id (seq 0 before the first page). */
  head(): z.infer<typeof Head> {
    if (!this.exists()) return { seq: 0, hash: GENESIS_HASH, run_id: "" };
    const row = this.sql.exec("SELECT seq, hash, run_id FROM staged_head WHERE id = 1").toArray()[0];
    return row === undefined ? { seq: 0, hash: GENESIS_HASH, run_id: "" } : Head.parse(row);
  }

  get length(): number {
    return this.head().seq;
  }

  /** Checks and keeps the next page of envelopes; on a bad one keeps nothing more and says where. */
  receive(page: readonly unknown[]): StageResult {
    let { seq, hash, run_id } = this.head();
    const rows: { seq: number; json: string }[] = [];
    for (const raw of page) {
      const expected = seq + 1;
      let event: RunEvent;
      try {
        event = parseEvent(raw);
      } catch (error) {
        return { ok: false, first_bad_seq: expected, reason: `the event at seq ${expected} is not an event of the catalogue: ${String(error).slice(0, 200)}` };
      }
      if (event.seq !== expected) return { ok: false, first_bad_seq: expected, reason: `seq ${expected} was expected, ${event.seq} came` };
      if (run_id !== "" && event.run_id !== run_id) return { ok: false, first_bad_seq: expected, reason: `seq ${expected} belongs to another run` };
      const { hash: claimed, ...envelope } = raw as Record<string, unknown>;
      if (chainHash(hash, envelope) !== claimed) return { ok: false, first_bad_seq: expected, reason: `the hash chain breaks at seq ${expected}` };
      rows.push({ seq: expected, json: JSON.stringify(raw) });
      seq = expected;
      hash = event.hash;
      run_id = event.run_id;
    }
    this.sql.exec(SCHEMA);
    for (const row of rows) this.sql.exec("INSERT INTO staged (seq, json) VALUES (?, ?)", row.seq, row.json);
    this.sql.exec(
      "INSERT INTO staged_head (id, seq, hash, run_id) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, run_id = excluded.run_id",
      seq,
      hash,
      run_id,
    );
    return { ok: true, received: seq };
  }

  event(seq: number): RunEvent | null {
    const cached = this.cache.get(seq);
    if (cached !== undefined) return cached;
    if (!this.exists()) return null;
    const row = this.sql.exec<{ json: string }>("SELECT json FROM staged WHERE seq = ?", seq).toArray()[0];
    if (row === undefined) return null;
    const event = parseEvent(JSON.parse(row.json));
    // A replay reads around its position (the next event, a call's chunks): a small window suffices.
    if (this.cache.size >= 256) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(seq, event);
    return event;
  }

  /** Events `from..to`, in order, a page at a time. */
  *range(from: number, to: number, pageSize = 500): Generator<RunEvent[]> {
    for (let start = from; start <= to; start += pageSize) {
      const end = Math.min(to, start + pageSize - 1);
      yield this.sql
        .exec<{ json: string }>("SELECT json FROM staged WHERE seq BETWEEN ? AND ? ORDER BY seq", start, end)
        .toArray()
        .map((row) => parseEvent(JSON.parse(row.json)));
    }
  }

  discard(): void {
    this.cache.clear();
    this.sql.exec("DROP TABLE IF EXISTS staged; DROP TABLE IF EXISTS staged_head;");
  }
}
