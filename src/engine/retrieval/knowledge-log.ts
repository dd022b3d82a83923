/**
 * The knowledge event stream: ingestion events in the same envelope and hash chain as a run's
 * events (CONTRACT.md "The event envelope"), one stream per index shard. The envelope's `run_id`
 * names the stream: `knowledge:shared` for the bundled documents, `knowledge:<tenant>` for a
 * tenant's private ones. Pure: the shard writes the prepared rows in one transaction, or none.
 */
import { EVENT_DATA } from "../events";
import type { EventData } from "../events";
import { GENESIS_HASH, chainHash } from "../hash-chain";

export type KnowledgeEventType = "knowledge.ingestion.started" | "knowledge.ingestion.completed";

export type KnowledgeEvent = {
  [T in KnowledgeEventType]: { type: T; data: EventData<T> };
}[KnowledgeEventType];

export interface KnowledgeLogHead {
  seq: number;
  hash: string;
}

export const EMPTY_KNOWLEDGE_HEAD: KnowledgeLogHead = { seq: 0, hash: GENESIS_HASH };

/** A stored event: `json` is the envelope exactly as SSE sends it. */
export interface KnowledgeEventRow {
  seq: number;
  type: KnowledgeEventType;
  json: string;
  hash: string;
}

export function knowledgeStreamId(namespace: string): string {
  return `knowledge:${namespace}`;
}

/** Numbers, timestamps, validates and hashes events onto the head of a knowledge stream. */
export function prepareKnowledgeAppend(
  head: KnowledgeLogHead,
  streamId: string,
  events: readonly KnowledgeEvent[],
  nowIso: string,
): { rows: KnowledgeEventRow[]; head: KnowledgeLogHead } {
  let { seq, hash } = head;
  const rows: KnowledgeEventRow[] = [];
  for (const event of events) {
    seq += 1;
    const data = EVENT_DATA[event.type].parse(event.data);
    const envelope: Record<string, unknown> = { run_id: streamId, seq, ts: nowIso, type: event.type, data };
    hash = chainHash(hash, envelope);
    envelope.hash = hash;
    rows.push({ seq, type: event.type, json: JSON.stringify(envelope), hash });
  }
  return { rows, head: { seq, hash } };
}
