/**
 * A run's manifest: a signed statement of its log's head (`{run_id, tenant_id, last_seq,
 * head_hash}`), so that an auditor can later prove that a stored or exported log is the one the
 * engine produced: recompute the chain of the log (CONTRACT.md "The event envelope"), compare its
 * head with the manifest's, and check the signature, HMAC-SHA-256 with the deployment's
 * `MANIFEST_KEY` over the canonical JSON of the four fields (keys sorted, no spaces).
 */
import { canonicalJson } from "./hash-chain";

export const MANIFEST_ALGORITHM = "HMAC-SHA256";

export interface ManifestClaims {
  run_id: string;
  tenant_id: string;
  last_seq: number;
  head_hash: string;
}

/** The exact bytes that are signed. */
export function manifestPayload(claims: ManifestClaims): string {
  const { run_id, tenant_id, last_seq, head_hash } = claims;
  return canonicalJson({ head_hash, last_seq, run_id, tenant_id });
}

/** Signs and checks a payload with a secret key (the adapters hold the key; WebCrypto does the work). */
export interface ManifestSigner {
  sign(payload: string): Promise<string>;
  verify(payload: string, signature: string): Promise<boolean>;
}
