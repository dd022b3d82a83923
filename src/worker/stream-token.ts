/**
 * Stream tokens (CONTRACT.md "Identity"): a browser's EventSource cannot send `Authorization`, so
 * the events routes also take `?access_token=<token>`. A token is bound to one tenant and one
 * target, the run id or thread id whose events it opens (the id's own prefix says which kind), and
 * expires: `v1.<claims>.<signature>`, base64url, the signature an HMAC-SHA-256 of `v1.<claims>` with
 * `STREAM_TOKEN_SECRET`, or, when that is unset, with a key derived from `API_KEYS` (so rotating
 * the keys also retires every token). The token carries no scopes: whoever may ask for one may read
 * that target's events, and that is all a token opens.
 */
import { z } from "zod";

export const DEFAULT_STREAM_TOKEN_TTL_S = 3600;

export const StreamTokenResponse = z.object({
  token: z.string(),
  expires_at: z.string(),
});
export type StreamTokenResponse = z.infer<typeof StreamTokenResponse>;

/** What a token says: whose target, which one, until when (Unix seconds). */
const Claims = z.object({ ten: z.string().min(1), tgt: z.string().min(1), exp: z.number().int() });
export interface StreamTokenClaims {
  tenant_id: string;
  target: string;
  expires_at: number;
}

type TokenEnv = Pick<Env, "API_KEYS" | "STREAM_TOKEN_SECRET" | "STREAM_TOKEN_TTL_S">;

const VERSION = "v1";
const encoder = new TextEncoder();

let cachedKey: { material: string; key: Promise<CryptoKey> } | null = null;

function hmacKey(bytes: BufferSource): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

/** The signing key: `STREAM_TOKEN_SECRET`, else HMAC(API_KEYS, a fixed label), so no key is ever the raw config. */
function signingKey(env: Pick<Env, "API_KEYS" | "STREAM_TOKEN_SECRET">): Promise<CryptoKey> {
  const secret = env.STREAM_TOKEN_SECRET?.trim();
  const material = secret ? `secret:${secret}` : `keys:${env.API_KEYS ?? ""}`;
  if (cachedKey?.material === material) return cachedKey.key;
  const key = secret
    ? hmacKey(encoder.encode(secret))
    : // Prefixed: WebCrypto refuses an empty HMAC key, and dev mode has no API_KEYS.
      hmacKey(encoder.encode(`api-keys:${env.API_KEYS ?? ""}`))
        .then((root) => crypto.subtle.sign("HMAC", root, encoder.encode("edge-run-engine stream-token key v1")))
        .then((derived) => hmacKey(derived));
  cachedKey = { material, key };
  return key;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** `STREAM_TOKEN_TTL_S` when it is a positive integer, else the default. */
export function streamTokenTtlSeconds(env: Pick<Env, "STREAM_TOKEN_TTL_S">): number {
  const value = Number(env.STREAM_TOKEN_TTL_S);
  return env.STREAM_TOKEN_TTL_S && Number.isInteger(value) && value > 0 ? value : DEFAULT_STREAM_TOKEN_TTL_S;
}

/** A token that opens `target`'s events for `tenantId` until now + the TTL. */
export async function issueStreamToken(env: TokenEnv, tenantId: string, target: string, now = Date.now()): Promise<StreamTokenResponse> {
  const exp = Math.floor(now / 1000) + streamTokenTtlSeconds(env);
  const claims = base64url(encoder.encode(JSON.stringify({ ten: tenantId, tgt: target, exp })));
  const signed = `${VERSION}.${claims}`;
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await signingKey(env), encoder.encode(signed)));
  return { token: `${signed}.${base64url(signature)}`, expires_at: new Date(exp * 1000).toISOString() };
}

/**
 * The token's claims if its signature is ours, it has not expired, and it names `target`; null
 * otherwise (the caller answers 401 without saying which check failed).
 */
export async function verifyStreamToken(
  env: Pick<Env, "API_KEYS" | "STREAM_TOKEN_SECRET">,
  token: string,
  target: string,
  now = Date.now(),
): Promise<StreamTokenClaims | null> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const claimsBytes = fromBase64url(parts[1] ?? "");
  const signature = fromBase64url(parts[2] ?? "");
  if (claimsBytes === null || signature === null) return null;
  // crypto.subtle.verify compares in constant time.
  const genuine = await crypto.subtle.verify("HMAC", await signingKey(env), signature, encoder.encode(`${VERSION}.${parts[1]}`));
  if (!genuine) return null;
  let claims: z.infer<typeof Claims>;
  try {
    claims = Claims.parse(JSON.parse(new TextDecoder().decode(claimsBytes)));
  } catch {
    return null;
  }
  if (claims.tgt !== target || claims.exp * 1000 <= now) return null;
  return { tenant_id: claims.ten, target: claims.tgt, expires_at: claims.exp };
}
