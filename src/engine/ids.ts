/**
 * Identifier formats and the address of a run's Durable Object. A run object is named by tenant
 * and run id together, so a tenant that learns another tenant's run id still reaches an empty
 * object of its own (a 404), never the other tenant's run.
 */
import type { Ids } from "./ports";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID: 48 bits of milliseconds then 80 random bits, 26 Crockford base32 characters. */
export function ulid(nowMs: number, random: () => number): string {
  let time = "";
  let t = Math.max(0, Math.floor(nowMs));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = "";
  for (let i = 0; i < 16; i++) rand += CROCKFORD[Math.floor(random() * 32)];
  return time + rand;
}

export const RUN_ID_PATTERN = /^run_[0-9A-HJKMNP-TV-Z]{26}$/;
export const REQUEST_ID_PATTERN = /^tr_[0-9A-HJKMNP-TV-Z]{26}$/;

export function isRunId(value: string): boolean {
  return RUN_ID_PATTERN.test(value);
}

/** The Durable Object name of a run: tenant and run id, so tenants cannot reach each other's runs. */
export function runObjectName(tenantId: string, runId: string): string {
  return `${tenantId.length}:${tenantId}/${runId}`;
}

/** Encodes bytes as Crockford base32 (for ids derived from a hash, such as idempotency keys). */
export function base32(bytes: Uint8Array, length: number): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += CROCKFORD[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

function hex(random: () => number, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** Ids from a clock and a random source: `Math.random` in production, a seeded PRNG in tests. */
export function createIds(now: () => number, random: () => number): Ids {
  return {
    run: () => `run_${ulid(now(), random)}`,
    request: () => `tr_${ulid(now(), random)}`,
    span: () => `sp_${hex(random, 16)}`,
    feedback: () => `fb_${ulid(now(), random)}`,
    random,
  };
}

/** A small deterministic PRNG (mulberry32) for tests and the offline path. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
