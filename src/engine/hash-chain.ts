/**
 * The event log is a hash chain (CONTRACT.md "The event envelope"): each event's `hash` is the
 * SHA-256 of the previous hash (64 zeros before seq 1) concatenated with the canonical JSON of the
 * envelope without `hash` (keys sorted at every depth, no spaces). Hashing is synchronous
 * (`node:crypto`, native in workerd and Node) so an append stays one synchronous transaction.
 */
import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

/**
 * JSON with object keys sorted at every depth and no whitespace; `undefined` members are dropped.
 * Built by appending to one string (every event of every run is hashed through here).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const json = JSON.stringify(value);
    return json === undefined ? "null" : json;
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += (i === 0 ? "" : ",") + (item === undefined ? "null" : canonicalJson(item));
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  let out = "{";
  for (const key of Object.keys(record).sort()) {
    const member = record[key];
    if (member === undefined) continue;
    out += (out.length === 1 ? "" : ",") + JSON.stringify(key) + ":" + canonicalJson(member);
  }
  return `${out}}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The hash of an envelope (without its `hash` member) chained to the previous event's hash. */
export function chainHash(previousHash: string, envelopeWithoutHash: Record<string, unknown>): string {
  return sha256Hex(previousHash + canonicalJson(envelopeWithoutHash));
}

export interface ChainCheck {
  valid: boolean;
  last_seq: number;
  head_hash: string;
  first_bad_seq: number | null;
}

/** Walks envelopes in seq order and reports the first one whose seq or hash breaks the chain. */
export class ChainVerifier {
  private expectedSeq = 1;
  private head = GENESIS_HASH;
  private firstBad: number | null = null;

  push(envelope: Record<string, unknown>): void {
    if (this.firstBad !== null) return;
    const { hash, ...rest } = envelope;
    const seq = typeof rest.seq === "number" ? rest.seq : Number.NaN;
    if (seq !== this.expectedSeq || typeof hash !== "string" || chainHash(this.head, rest) !== hash) {
      this.firstBad = Number.isFinite(seq) ? seq : this.expectedSeq;
      return;
    }
    this.head = hash;
    this.expectedSeq += 1;
  }

  result(): ChainCheck {
    return {
      valid: this.firstBad === null,
      last_seq: this.expectedSeq - 1,
      head_hash: this.head,
      first_bad_seq: this.firstBad,
    };
  }
}
