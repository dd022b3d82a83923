/**
 * Vectors as the knowledge index stores and compares them. A vector is only meaningful next to
 * the vectors of the same embedder, so every vector that crosses a boundary carries its
 * embedder's id and dimension, and comparing vectors of two embedders is an error
 * (`EmbedderMismatchError`), never a silently wrong score.
 */
import { z } from "zod";
import { StepError } from "../errors";
import type { Embedder } from "../ports";

/** Which embedder made a vector. */
export const EmbedderTag = z.object({
  embedder: z.string().min(1),
  dimensions: z.number().int().positive(),
});
export type EmbedderTag = z.infer<typeof EmbedderTag>;

export interface TaggedVector extends EmbedderTag {
  values: Float32Array;
}

export class EmbedderMismatchError extends StepError {
  constructor(expected: EmbedderTag, actual: EmbedderTag) {
    super(
      "embedder_mismatch",
      `vectors of embedder ${actual.embedder}/${actual.dimensions} cannot be compared with an index built by ` +
        `${expected.embedder}/${expected.dimensions}; rebuild the index or configure the same embedder`,
      { retryable: false },
    );
    this.name = "EmbedderMismatchError";
  }
}

export function tagOf(embedder: Embedder): EmbedderTag {
  return { embedder: embedder.id, dimensions: embedder.dimensions };
}

export function sameEmbedder(a: EmbedderTag, b: EmbedderTag): boolean {
  return a.embedder === b.embedder && a.dimensions === b.dimensions;
}

export function assertSameEmbedder(expected: EmbedderTag, actual: EmbedderTag): void {
  if (!sameEmbedder(expected, actual)) throw new EmbedderMismatchError(expected, actual);
}

/** Embeds texts and tags the results; checks the embedder returned what it promised. */
export async function embedTagged(embedder: Embedder, texts: string[]): Promise<TaggedVector[]> {
  if (texts.length === 0) return [];
  const vectors = await embedder.embed(texts);
  if (vectors.length !== texts.length) {
    throw StepError.terminal("embedder_invalid", `embedder ${embedder.id} returned ${vectors.length} vectors for ${texts.length} texts`);
  }
  return vectors.map((values) => {
    if (values.length !== embedder.dimensions) {
      throw StepError.terminal("embedder_invalid", `embedder ${embedder.id} returned a vector of ${values.length} dimensions, not ${embedder.dimensions}`);
    }
    return { embedder: embedder.id, dimensions: embedder.dimensions, values };
  });
}

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function normalize(values: Float32Array): Float32Array {
  let sum = 0;
  for (const v of values) sum += v * v;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i] = (values[i] ?? 0) / norm;
  return values;
}

/** Float32 little-endian bytes: how a vector is stored (4 bytes a dimension). */
export function toBlob(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return bytes;
}

export function fromBlob(blob: ArrayBuffer | Uint8Array, dimensions: number): Float32Array {
  const bytes = blob instanceof Uint8Array ? blob : new Uint8Array(blob);
  if (bytes.byteLength !== dimensions * 4) {
    throw new RangeError(`a stored vector has ${bytes.byteLength} bytes, expected ${dimensions * 4}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}
