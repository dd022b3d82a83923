/**
 * How the knowledge index is sharded. One shard holds the documents shipped with the engine and is
 * shared by every tenant; each tenant has one shard of its own for the documents it posts. A
 * search reads the shared shard and the caller's, never another tenant's. The same names are the
 * KnowledgeObject names (embedded backend) and the Vectorize namespaces (production backend).
 *
 * Why: tenant separation is structural (a tenant's search cannot address another tenant's shard),
 * the shared documents are stored and embedded once, and a tenant that outgrows one object is a
 * case for Vectorize rather than for sub-sharding the embedded index.
 */
export const SHARED_NAMESPACE = "shared";

export function tenantNamespace(tenantId: string): string {
  return `tenant:${tenantId}`;
}

/** The shards a tenant's search covers, shared first. */
export function searchNamespaces(tenantId: string): string[] {
  return [SHARED_NAMESPACE, tenantNamespace(tenantId)];
}
