/**
 * HMAC-SHA-256 over WebCrypto with the secret `MANIFEST_KEY` (engine/manifest.ts says what is
 * signed). The signature is lower-case hex; verification is constant-time (WebCrypto's own).
 */
import type { ManifestSigner } from "../engine/manifest";

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function unhex(text: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})+$/.test(text)) return null;
  return new Uint8Array(text.match(/../g)!.map((pair) => parseInt(pair, 16)));
}

export function hmacSigner(secret: string): ManifestSigner {
  const key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  return {
    async sign(payload) {
      return hex(await crypto.subtle.sign("HMAC", await key, new TextEncoder().encode(payload)));
    },
    async verify(payload, signature) {
      const bytes = unhex(signature);
      return bytes !== null && crypto.subtle.verify("HMAC", await key, bytes, new TextEncoder().encode(payload));
    },
  };
}
