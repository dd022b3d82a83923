/**
 * `npm run bench:chain`: what the hash chain costs, in plain Node (workerd's `node:crypto` is the
 * same BoringSSL SHA-256). The events are those of the recorded runs (test/fixtures/runs/), so
 * the mix is a real one: per event, the canonical JSON and the chained SHA-256 an append computes,
 * and a whole verification (`ChainVerifier`, what `/verify`, export and import run) over logs of
 * 10,000 and 100,000 such events. Median of several rounds after a warm-up.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { ChainVerifier, GENESIS_HASH, canonicalJson, chainHash } from "../src/engine/hash-chain";

const DIR = path.resolve(import.meta.dirname, "../test/fixtures/runs");
const sample = readdirSync(DIR)
  .filter((name) => name.endsWith(".jsonl"))
  .flatMap((name) => readFileSync(path.join(DIR, name), "utf8").trim().split("\n"))
  .map((line) => {
    const { hash: _hash, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return rest;
  });

/** `n` envelopes chained afresh, cycling through the sample with seq 1..n. */
function chainOf(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let head = GENESIS_HASH;
  for (let i = 0; i < n; i++) {
    const envelope = { ...sample[i % sample.length], seq: i + 1 };
    head = chainHash(head, envelope);
    out.push({ ...envelope, hash: head });
  }
  return out;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function time(rounds: number, body: () => void): number {
  body();
  const runs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    body();
    runs.push(performance.now() - started);
  }
  return median(runs);
}

const PER = 20_000;
const bytes = sample.reduce((sum, e) => sum + canonicalJson(e).length, 0) / sample.length;
const canonical = time(5, () => {
  for (let i = 0; i < PER; i++) canonicalJson(sample[i % sample.length]);
});
const hashed = time(5, () => {
  let head = GENESIS_HASH;
  for (let i = 0; i < PER; i++) head = chainHash(head, sample[i % sample.length] as Record<string, unknown>);
});
console.log(`sample: ${sample.length} recorded events, ${bytes.toFixed(0)} bytes of canonical JSON each on average`);
console.log(`per event: canonical JSON ${((canonical * 1000) / PER).toFixed(1)} µs, canonical JSON + chained SHA-256 ${((hashed * 1000) / PER).toFixed(1)} µs`);
for (const n of [10_000, 100_000]) {
  const log = chainOf(n);
  const verify = time(3, () => {
    const verifier = new ChainVerifier();
    for (const envelope of log) verifier.push(envelope);
    if (!verifier.result().valid) throw new Error("the bench's chain does not verify");
  });
  console.log(`verify ${n.toLocaleString("en")} events: ${verify.toFixed(0)} ms (${((verify * 1000) / n).toFixed(1)} µs per event)`);
}
