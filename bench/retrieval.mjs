/**
 * Retrieval latency over the embedded index: ingests synthetic markdown documents through
 * `POST /knowledge/documents` until the caller's tenant shard holds `targetChunks` chunks (by
 * default 20,000, a tenant shard's cap: documents of decreasing size fill it to within a few
 * chunks), then measures `GET /knowledge/search?k=5` latency (p50/p95) end to end through the api
 * worker, which searches the shared shard and the tenant's.
 *
 * Usage: `node bench/retrieval.mjs --port 8830 --inspector-port 9330` starts `wrangler dev` itself
 * on those ports (fresh state, stopped at the end) and also reports the workerd process's RSS
 * before and after the first search, which loads the shard's index; `node bench/retrieval.mjs
 * http://127.0.0.1:8787` runs against a server already started. Or import `benchRetrieval` (the
 * bench table does). The documents are generated from a fixed seed, so a second run finds them
 * unchanged and skips straight to the searches (ingestion is idempotent).
 */

const WORDS = (
  "account agent alarm answer api approval archive audit backoff balance batch billing bucket budget cache " +
  "calendar catalog channel chunk citation client cluster commit config contract cursor customer dashboard " +
  "deadline deploy digest document domain draft edge embedding endpoint event export feedback filter firewall " +
  "fork gateway grant guardrail hash header index invoice job journal key ledger limit log manifest memory " +
  "metric migration model namespace note object offset outbox owner page partition payload plan policy " +
  "preview profile prompt queue quota ranking receipt record region replay report request result retry " +
  "review route run schema scope search secret segment server session shard signal snapshot span stream " +
  "summary tenant ticket timeout token tool trace trigger upload usage vector verify webhook window workflow"
).split(" ");

/** mulberry32: a small seeded PRNG, so every run generates the same documents. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The corpus vocabulary: the domain words above as the most frequent ones, then 8,000 made-up
 * words, drawn with Zipf's law (frequency ~ 1/rank) as in natural text. Posting lists thus look
 * like a real corpus's: a few very long, most short.
 */
const SYLLABLES = "ka lo mi re tu sa ne vo pi da ru fe go hi ja ko lu ma no pe qui ro si ta ve wu xa yo ze".split(" ");
const VOCABULARY = [...WORDS];
{
  const random = prng(42);
  const seen = new Set(VOCABULARY);
  while (VOCABULARY.length < WORDS.length + 8000) {
    const n = 2 + Math.floor(random() * 3);
    const word = Array.from({ length: n }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join("");
    if (!seen.has(word)) {
      seen.add(word);
      VOCABULARY.push(word);
    }
  }
}
const CDF = (() => {
  const weights = VOCABULARY.map((_, rank) => 1 / (rank + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => (sum += w / total));
})();

function zipfWord(random) {
  const x = random();
  let lo = 0;
  let hi = CDF.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CDF[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo];
}

function sentence(random) {
  const n = 8 + Math.floor(random() * 12);
  const words = Array.from({ length: n }, () => zipfWord(random));
  const number = Math.floor(random() * 10_000);
  words.splice(Math.floor(random() * n), 0, String(number));
  const text = words.join(" ");
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

/** A markdown document of about `bytes` bytes: sections of a few paragraphs each. */
export function syntheticDocument(index, bytes) {
  const random = prng(1000 + index);
  const parts = [`# Synthetic handbook ${index}`];
  let size = parts[0].length;
  for (let section = 1; size < bytes; section++) {
    const heading = `## Section ${section}: ${zipfWord(random)} ${zipfWord(random)}`;
    parts.push(heading);
    size += heading.length + 2;
    for (let p = 0; p < 3 && size < bytes; p++) {
      const paragraph = Array.from({ length: 3 + Math.floor(random() * 4) }, () => sentence(random)).join(" ");
      parts.push(paragraph);
      size += paragraph.length + 2;
    }
  }
  return parts.join("\n\n");
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A tenant shard's cap (src/engine/retrieval/documents.ts, MAX_SHARD_CHUNKS). */
export const SHARD_CAP = 20_000;

/**
 * @param {{ baseUrl: string, apiKey?: string, targetChunks?: number, searches?: number, docBytes?: number, log?: (line: string) => void, sample?: () => Promise<{ rss: number | null }> }} options
 * @returns {Promise<{ chunks: number, documents: number, ingest_ms: number, cold_ms: number, p50_ms: number, p95_ms: number, floor_p50_ms: number, floor_p95_ms: number, searches: number, rss_before?: number | null, rss_after?: number | null }>}
 */
export async function benchRetrieval({ baseUrl, apiKey, targetChunks = SHARD_CAP, searches = 200, docBytes = 900 * 1024, log = () => {}, sample }) {
  const headers = { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  const base = baseUrl.replace(/\/$/, "");

  let chunks = 0;
  let documents = 0;
  const ingestStart = performance.now();
  // Big documents first, then smaller ones once a big one no longer fits (413: nothing was written).
  for (const bytes of [docBytes, 64 * 1024, 8 * 1024, 1024, 200]) {
    while (chunks < targetChunks) {
      const body = JSON.stringify({ document_id: `bench-${documents}`, text: syntheticDocument(documents, bytes), metadata: { source: "bench" } });
      const response = await fetch(`${base}/knowledge/documents`, { method: "POST", headers, body });
      if (response.status === 413 && targetChunks >= SHARD_CAP) break;
      if (response.status !== 202) throw new Error(`POST /knowledge/documents: ${response.status} ${await response.text()}`);
      const result = await response.json();
      chunks += result.chunks;
      documents += 1;
      log(`ingested bench-${documents - 1}: ${result.chunks} chunks (${chunks} in all)`);
    }
  }
  const ingest_ms = performance.now() - ingestStart;

  // Queries are drawn from the corpus's own distribution: mostly common words, some rare ones.
  const random = prng(7);
  const query = () => Array.from({ length: 3 + Math.floor(random() * 5) }, () => zipfWord(random)).join(" ");
  const search = async () => {
    const started = performance.now();
    const response = await fetch(`${base}/knowledge/search?k=5&q=${encodeURIComponent(query())}`, { headers });
    if (response.status !== 200) throw new Error(`GET /knowledge/search: ${response.status} ${await response.text()}`);
    const { chunks: found } = await response.json();
    if (found.length !== 5) throw new Error(`expected 5 chunks, got ${found.length}`);
    return performance.now() - started;
  };

  // The first search after ingestion loads the shard's index into memory: reported apart.
  const rss_before = sample ? (await sample()).rss : undefined;
  const cold_ms = await search();
  const rss_after = sample ? (await sample()).rss : undefined;
  // The floor: a request that does no retrieval (`GET /healthz`), interleaved with the searches so
  // that both see the same load on the machine; a search's own cost is about the difference.
  const floor = async () => {
    const started = performance.now();
    const response = await fetch(`${base}/healthz`);
    if (response.status !== 200) throw new Error(`GET /healthz: ${response.status}`);
    await response.arrayBuffer();
    return performance.now() - started;
  };
  for (let i = 0; i < 5; i++) await search();
  const samples = [];
  const floors = [];
  for (let i = 0; i < searches; i++) {
    samples.push(await search());
    floors.push(await floor());
  }
  samples.sort((a, b) => a - b);
  floors.sort((a, b) => a - b);
  const round = (x) => Math.round(x * 10) / 10;
  return {
    chunks,
    documents,
    ingest_ms: Math.round(ingest_ms),
    cold_ms: round(cold_ms),
    p50_ms: round(percentile(samples, 50)),
    p95_ms: round(percentile(samples, 95)),
    floor_p50_ms: round(percentile(floors, 50)),
    floor_p95_ms: round(percentile(floors, 95)),
    searches,
    ...(sample ? { rss_before, rss_after } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = (name) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : undefined;
  };
  const port = flag("--port");
  const log = (line) => console.error(line);
  if (port === undefined) {
    const baseUrl = args[0] ?? "http://localhost:8787";
    console.log(JSON.stringify(await benchRetrieval({ baseUrl, apiKey: process.env.BENCH_API_KEY, log })));
  } else {
    const { startWrangler, workerdRss } = await import("./lib/wrangler.mjs");
    const dev = await startWrangler({ port, inspectorPort: flag("--inspector-port") ?? port + 500, log });
    try {
      const sample = async () => ({ rss: workerdRss(dev.pid)?.rss_bytes ?? null });
      console.log(JSON.stringify(await benchRetrieval({ baseUrl: dev.baseUrl, log, sample, searches: flag("--searches") ?? 200 })));
    } finally {
      await dev.stop();
    }
  }
}
