/**
 * An in-memory twin of the `VectorizeIndex` binding (Vectorize has no local simulator): vectors
 * keyed by id (ids are unique across namespaces, as in Vectorize), cosine scoring, namespaces,
 * `returnMetadata`. It records calls so tests can see what the adapter wrote.
 */
interface Stored {
  id: string;
  namespace: string | undefined;
  values: number[];
  metadata: Record<string, VectorizeVectorMetadata> | undefined;
}

export class FakeVectorize implements VectorizeIndex {
  readonly vectors = new Map<string, Stored>();
  readonly calls: string[] = [];

  constructor(readonly dimensions: number) {}

  async describe(): Promise<VectorizeIndexDetails> {
    return { id: "fake", name: "fake", config: { dimensions: this.dimensions, metric: "cosine" }, vectorsCount: this.vectors.size };
  }

  async query(vector: Float32Array | Float64Array | number[], options: VectorizeQueryOptions = {}): Promise<VectorizeMatches> {
    this.calls.push(`query:${options.namespace ?? ""}`);
    if (vector.length !== this.dimensions) throw new Error(`VECTOR_QUERY_ERROR: dimension ${vector.length} != ${this.dimensions}`);
    // Vectorize's limits: topK at most 20 when values or metadata are returned, 100 otherwise.
    const withPayload = options.returnValues === true || (options.returnMetadata !== undefined && options.returnMetadata !== false && options.returnMetadata !== "none");
    if ((options.topK ?? 5) > (withPayload ? 20 : 100)) throw new Error(`VECTOR_QUERY_ERROR: topK ${options.topK} is over the limit`);
    const q = [...vector];
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    const matches = [...this.vectors.values()]
      .filter((v) => options.namespace === undefined || v.namespace === options.namespace)
      .map((v) => ({ v, score: v.values.reduce((s, x, i) => s + x * (q[i] ?? 0), 0) / (norm(v.values) * norm(q)) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, options.topK ?? 5)
      .map(({ v, score }) => ({
        id: v.id,
        score,
        ...(v.namespace !== undefined ? { namespace: v.namespace } : {}),
        ...(options.returnMetadata !== undefined && options.returnMetadata !== false && options.returnMetadata !== "none" && v.metadata !== undefined
          ? { metadata: v.metadata }
          : {}),
      }));
    return { matches, count: matches.length };
  }

  async insert(vectors: VectorizeVector[]): Promise<VectorizeVectorMutation> {
    for (const v of vectors) if (this.vectors.has(v.id)) throw new Error(`duplicate id ${v.id}`);
    return this.upsert(vectors);
  }

  async upsert(vectors: VectorizeVector[]): Promise<VectorizeVectorMutation> {
    this.calls.push(`upsert:${vectors.length}`);
    for (const v of vectors) {
      if (v.values.length !== this.dimensions) throw new Error(`VECTOR_INSERT_ERROR: dimension ${v.values.length} != ${this.dimensions}`);
      this.vectors.set(v.id, { id: v.id, namespace: v.namespace, values: [...v.values], metadata: v.metadata });
    }
    return { ids: vectors.map((v) => v.id), count: vectors.length };
  }

  async deleteByIds(ids: string[]): Promise<VectorizeVectorMutation> {
    this.calls.push(`delete:${ids.length}`);
    const deleted = ids.filter((id) => this.vectors.delete(id));
    return { ids: deleted, count: deleted.length };
  }

  async getByIds(ids: string[]): Promise<VectorizeVector[]> {
    return ids.flatMap((id) => {
      const v = this.vectors.get(id);
      return v === undefined ? [] : [{ id: v.id, values: v.values, ...(v.namespace !== undefined ? { namespace: v.namespace } : {}), ...(v.metadata !== undefined ? { metadata: v.metadata } : {}) }];
    });
  }
}
