/**
 * The deterministic local embedder: feature hashing of word unigrams, word bigrams and character
 * n-grams into a fixed number of dimensions, with sublinear term frequency, then L2-normalised.
 * Unigrams carry topical overlap, bigrams carry phrases ("rate limit"), character n-grams carry
 * morphology and near-spellings ("tokenizer" / "tokenization"). No model, no network, no state:
 * the same text always gives the same vector, so the offline path and the tests are repeatable.
 */
import type { Embedder } from "../ports";
import { terms } from "./text";
import { normalize } from "./vectors";

export interface LocalEmbedderOptions {
  dimensions: number;
  /** Character n-gram length. */
  charN: number;
}

export const LOCAL_EMBEDDER_VERSION = "local-ngram-v1";
const DEFAULTS: LocalEmbedderOptions = { dimensions: 512, charN: 3 };

const WEIGHT = { unigram: 1, bigram: 0.3, chars: 0.25 } as const;

/** FNV-1a, 32 bits. */
function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Weighted hashed features of a text, before normalisation. */
function features(text: string, options: LocalEmbedderOptions = DEFAULTS): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  const tokens = terms(text);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? "";
    add(`w:${token}`, WEIGHT.unigram);
    const next = tokens[i + 1];
    if (next !== undefined) add(`b:${token} ${next}`, WEIGHT.bigram);
    // A word's n-grams share one unigram's worth of weight, so long words do not dominate.
    const padded = `<${token}>`;
    const grams = Math.max(1, padded.length - options.charN + 1);
    for (let j = 0; j < grams; j++) add(`c:${padded.slice(j, j + options.charN)}`, WEIGHT.chars / grams);
  }
  return counts;
}

export function embedLocal(text: string, options: LocalEmbedderOptions = DEFAULTS): Float32Array {
  const vector = new Float32Array(options.dimensions);
  for (const [feature, weight] of features(text, options)) {
    const h = fnv1a(feature, 0);
    const index = h % options.dimensions;
    // A second hash picks the sign, so colliding features cancel out on average instead of adding up.
    const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
    // Sublinear frequency: a term repeated ten times is not ten times as relevant.
    vector[index] = (vector[index] ?? 0) + sign * Math.log1p(weight);
  }
  return normalize(vector);
}

export function createLocalEmbedder(options: Partial<LocalEmbedderOptions> = {}): Embedder {
  const resolved: LocalEmbedderOptions = { ...DEFAULTS, ...options };
  return {
    id: `${LOCAL_EMBEDDER_VERSION}-c${resolved.charN}`,
    dimensions: resolved.dimensions,
    embed: async (texts) => texts.map((text) => embedLocal(text, resolved)),
  };
}
