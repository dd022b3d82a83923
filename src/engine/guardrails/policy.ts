/**
 * Guardrail policy: what each layer does when a rule matches. One zod schema with defaults, so a
 * settings adapter parses it once (from env or a tenant's config) and every layer receives a full
 * policy. Nothing here reads env: `parseLinkAllowlist` takes the raw `OUTPUT_LINK_ALLOWLIST` string.
 */
import { z } from "zod";

/** What the input gate does with a kind of match. `flag` keeps the text and reports it. */
export const MatchAction = z.enum(["allow", "flag", "redact", "block"]);
export type MatchAction = z.infer<typeof MatchAction>;

export const SensitiveKind = z.enum(["api_key", "private_key", "jwt", "card", "email", "phone"]);
export type SensitiveKind = z.infer<typeof SensitiveKind>;

/** A category the operator refuses outright, matched on the normalised message. */
export const BlockedCategory = z.object({
  id: z.string().regex(/^[a-z0-9_-]+$/),
  version: z.string().default("1"),
  /** Whole words or phrases, case-insensitive. */
  terms: z.array(z.string().min(1)).default([]),
  /** Regular expression sources, case-insensitive. */
  patterns: z.array(z.string().min(1)).default([]),
  reason: z.string().optional(),
});
export type BlockedCategory = z.infer<typeof BlockedCategory>;

export const SourcePolicy = z.enum(["block", "sanitize", "flag"]);
export type SourcePolicy = z.infer<typeof SourcePolicy>;

export const InputPolicy = z.object({
  /** Control, invisible and bidi-control characters: removed (`normalise`) or the message refused. */
  hidden: z.enum(["normalise", "block"]).default("normalise"),
  sensitive: z
    .object({
      api_key: MatchAction.default("redact"),
      private_key: MatchAction.default("redact"),
      jwt: MatchAction.default("redact"),
      card: MatchAction.default("redact"),
      email: MatchAction.default("flag"),
      phone: MatchAction.default("flag"),
    })
    .prefault({}),
  blocked_categories: z.array(BlockedCategory).default([]),
});
export type InputPolicy = z.infer<typeof InputPolicy>;

export const InjectionPolicy = z.object({
  /** Score at or above which a text is flagged (and the source's policy applies). */
  threshold: z.number().min(0).max(1).default(0.5),
  sources: z
    .object({
      message: SourcePolicy.default("block"),
      chunk: SourcePolicy.default("sanitize"),
      tool_result: SourcePolicy.default("sanitize"),
    })
    .prefault({}),
});
export type InjectionPolicy = z.infer<typeof InjectionPolicy>;

export const OutputPolicy = z.object({
  /** Host patterns: `example.com` (that host and its subdomains), `*.example.com` (subdomains only). */
  link_allowlist: z.array(z.string()).default([]),
  /** Shingle length in words for system-prompt leakage. */
  leak_shingle_words: z.number().int().min(3).max(20).default(6),
  /** Emails and phone numbers in answers: let through or redact. Secrets are always redacted. */
  personal_data: z.enum(["allow", "redact"]).default("allow"),
});
export type OutputPolicy = z.infer<typeof OutputPolicy>;

export const GuardrailPolicy = z.object({
  input: InputPolicy.prefault({}),
  injection: InjectionPolicy.prefault({}),
  output: OutputPolicy.prefault({}),
});
export type GuardrailPolicy = z.infer<typeof GuardrailPolicy>;

/** The policy with every default; `GuardrailPolicy.parse(partial)` for anything else. */
export function defaultPolicy(): GuardrailPolicy {
  return GuardrailPolicy.parse({});
}

/**
 * `OUTPUT_LINK_ALLOWLIST` as host patterns: comma- or whitespace-separated, lower-cased; a scheme,
 * path or port given by mistake is dropped, so `https://docs.example.com/x` means `docs.example.com`.
 */
export function parseLinkAllowlist(raw: string | undefined): string[] {
  if (!raw) return [];
  return raw
    .split(/[\s,]+/)
    .map((item) =>
      item
        .trim()
        .toLowerCase()
        .replace(/^[a-z][a-z0-9+.-]*:\/\//, "")
        .replace(/[/?#].*$/, "")
        .replace(/:\d+$/, "")
        .replace(/\.$/, ""),
    )
    .filter((item) => /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(item));
}
