/**
 * Secrets and personal data in a text: API keys of the common providers' shapes (and a generic
 * `key = value` assignment with a high-entropy value), PEM private keys, JWTs, payment card numbers
 * (Luhn-checked, with a known issuer prefix), email addresses and phone numbers. The input gate
 * redacts or refuses them by policy; the output validator never lets a secret reach a subscriber.
 */
import type { SensitiveKind } from "./policy";

export interface SensitiveMatch {
  kind: SensitiveKind;
  /** Which shape matched (`openai`, `aws_access_key`, `luhn`, ...). */
  shape: string;
  start: number;
  end: number;
}

export const SENSITIVE_RULE_VERSION = "1";

interface Shape {
  kind: SensitiveKind;
  shape: string;
  pattern: RegExp;
  /** Which capture group is the secret (the whole match when absent). */
  group?: number;
  accept?: (value: string) => boolean;
}

const SHAPES: Shape[] = [
  {
    kind: "private_key",
    shape: "pem",
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { kind: "jwt", shape: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g },
  { kind: "api_key", shape: "openai", pattern: /\bsk-(?:proj-|svcacct-|admin-|ant-(?:api\d\d-)?)?[A-Za-z0-9_-]{20,}/g, accept: mixed },
  { kind: "api_key", shape: "aws_access_key", pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g },
  { kind: "api_key", shape: "github", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b/g },
  { kind: "api_key", shape: "gitlab", pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { kind: "api_key", shape: "slack", pattern: /\bxox[abeoprs]-[A-Za-z0-9-]{10,}/g },
  { kind: "api_key", shape: "slack_webhook", pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g },
  { kind: "api_key", shape: "google", pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { kind: "api_key", shape: "stripe", pattern: /\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}/g },
  { kind: "api_key", shape: "npm", pattern: /\bnpm_[A-Za-z0-9]{36}\b/g },
  { kind: "api_key", shape: "huggingface", pattern: /\bhf_[A-Za-z]{30,}\b/g },
  {
    kind: "api_key",
    shape: "assignment",
    pattern: /\b(?:api[_-]?key|apikey|secret(?:[_-]?key)?|access[_-]?token|auth[_-]?token|client[_-]?secret|password|passwd|aws_secret_access_key)["']?\s*[:=]\s*["']?([A-Za-z0-9_\-/+=.]{16,})/gi,
    group: 1,
    accept: (value) => mixed(value) && entropy(value) >= 3.5,
  },
  { kind: "card", shape: "luhn", pattern: /\b\d(?:[ -]?\d){12,18}\b/g, accept: isCardNumber },
  { kind: "email", shape: "email", pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
  {
    kind: "phone",
    shape: "phone",
    pattern: /(?:\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}|(?<![\d.])\(\d{3}\)\s?\d{3}[-.\s]\d{4}|(?<![\d.-])\d{3}[-.]\d{3}[-.]\d{4})(?![\d-])/g,
    accept: (value) => {
      const digits = value.replace(/\D/g, "").length;
      return digits >= 9 && digits <= 15;
    },
  },
];

/** Every sensitive span of `text`, earliest first, overlaps resolved in favour of the stronger kind. */
export function findSensitive(text: string, kinds?: ReadonlySet<SensitiveKind>): SensitiveMatch[] {
  const found: SensitiveMatch[] = [];
  for (const shape of SHAPES) {
    if (kinds && !kinds.has(shape.kind)) continue;
    if (!quickCheck(shape, text)) continue;
    shape.pattern.lastIndex = 0;
    for (const match of text.matchAll(shape.pattern)) {
      const value = shape.group ? match[shape.group] : match[0];
      if (value === undefined || value.length === 0) continue;
      if (shape.accept && !shape.accept(value)) continue;
      const start = (match.index ?? 0) + (shape.group ? match[0].lastIndexOf(value) : 0);
      const end = start + value.length;
      if (found.some((f) => f.start < end && start < f.end)) continue;
      found.push({ kind: shape.kind, shape: shape.shape, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Skips a shape's regular expression when its anchor cannot be in the text (most texts hold none). */
function quickCheck(shape: Shape, text: string): boolean {
  switch (shape.kind) {
    case "private_key":
      return text.includes("PRIVATE KEY");
    case "jwt":
      return text.includes("eyJ");
    case "card":
    case "phone":
      return /\d{3}/.test(text);
    case "email":
      return text.includes("@");
    default:
      return true;
  }
}

function mixed(value: string): boolean {
  return /[A-Za-z]/.test(value) && /\d/.test(value);
}

/** Shannon entropy in bits per character. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const CARD_PREFIX = /^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6(?:011|5|4[4-9]|2)|35)/;

export function isCardNumber(value: string): boolean {
  const digits = value.replace(/[ -]/g, "");
  if (digits.length < 13 || digits.length > 19 || !CARD_PREFIX.test(digits)) return false;
  if (/^(\d)\1+$/.test(digits)) return false;
  return luhn(digits);
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The placeholder a redacted span becomes. */
export function redactionMark(kind: SensitiveKind): string {
  return `[redacted ${kind.replace("_", " ")}]`;
}
