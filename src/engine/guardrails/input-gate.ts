/**
 * The input gate: the first layer on the user's message, before anything plans on it. It removes
 * (or refuses) control, invisible and bidi-control characters, redacts (or refuses, or flags)
 * secrets and personal data, and refuses messages in the operator's blocked categories.
 *
 * Seam: the receive step calls `gateInput(message, policy.input)`, emits one
 * `guardrail.triggered` per verdict (`guardrailEvent(v)`), and continues with `result.text`. When
 * `result.blocked`, the run does not plan: it completes with `run.completed {refused: true,
 * output: result.refusal}`. The injection detector runs after the gate, on `result.text`.
 */
import { SensitiveKind, InputPolicy, type MatchAction } from "./policy";
import { findSensitive, redactionMark, SENSITIVE_RULE_VERSION } from "./sensitive";
import { toScanText } from "./normalise";
import { countHidden, decodeTagText, findHidden, stripHidden } from "./unicode";
import type { GuardrailVerdict } from "./verdict";

export interface InputGateResult {
  /** The message to continue with: hidden characters removed, redactions applied. */
  text: string;
  blocked: boolean;
  verdicts: GuardrailVerdict[];
  /** The answer the run completes with when blocked. */
  refusal: string | null;
}

const DEFAULT_POLICY = InputPolicy.parse({});

const KIND_NAMES: Record<SensitiveKind, [string, string]> = {
  api_key: ["an API key", "API keys"],
  private_key: ["a private key", "private keys"],
  jwt: ["an access token (JWT)", "access tokens (JWT)"],
  card: ["a payment card number", "payment card numbers"],
  email: ["an email address", "email addresses"],
  phone: ["a phone number", "phone numbers"],
};

export function gateInput(message: string, policy: InputPolicy = DEFAULT_POLICY): InputGateResult {
  const verdicts: GuardrailVerdict[] = [];
  let text = message;

  const hidden = findHidden(text);
  if (hidden.length > 0) {
    const counts = countHidden(hidden);
    const parts = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind === "tag" ? "tag" : kind}`);
    const smuggled = decodeTagText(text, hidden);
    const what = `${parts.join(", ")} character${hidden.length === 1 ? "" : "s"}${smuggled ? ` (tag characters spell ${JSON.stringify(smuggled.slice(0, 40))})` : ""}`;
    if (policy.hidden === "block") {
      verdicts.push(verdict("input.hidden_characters", "block", `the message contains hidden characters: ${what}`));
    } else {
      verdicts.push(verdict("input.hidden_characters", "redact", `removed hidden characters: ${what}`));
      text = stripHidden(text, hidden);
    }
  }

  const matches = findSensitive(text);
  if (matches.length > 0) {
    const byKind = new Map<SensitiveKind, typeof matches>();
    for (const match of matches) byKind.set(match.kind, [...(byKind.get(match.kind) ?? []), match]);
    const redact: typeof matches = [];
    for (const [kind, found] of byKind) {
      const action: MatchAction = policy.sensitive[kind];
      if (action === "allow") continue;
      const [one, many] = KIND_NAMES[kind];
      const shapes = [...new Set(found.map((m) => m.shape))].join(", ");
      const what = `${found.length === 1 ? one : `${found.length} ${many}`} (${shapes})`;
      if (action === "block") verdicts.push(verdict(`input.sensitive.${kind}`, "block", `the message contains ${what}`, SENSITIVE_RULE_VERSION));
      else if (action === "redact") {
        verdicts.push(verdict(`input.sensitive.${kind}`, "redact", `redacted ${what}`, SENSITIVE_RULE_VERSION));
        redact.push(...found);
      } else verdicts.push(verdict(`input.sensitive.${kind}`, "flag", `the message contains ${what}`, SENSITIVE_RULE_VERSION));
    }
    for (const match of redact.sort((a, b) => b.start - a.start)) {
      text = text.slice(0, match.start) + redactionMark(match.kind) + text.slice(match.end);
    }
  }

  if (policy.blocked_categories.length > 0) {
    const scan = toScanText(text).text;
    for (const category of policy.blocked_categories) {
      if (matchesCategory(scan, category.terms, category.patterns)) {
        verdicts.push(verdict(`input.category.${category.id}`, "block", category.reason ?? `the message is in the blocked category "${category.id}"`, category.version));
      }
    }
  }

  const blocked = verdicts.some((v) => v.action === "block");
  return { text, blocked, verdicts, refusal: blocked ? refusalFor(verdicts) : null };
}

function verdict(rule: string, action: GuardrailVerdict["action"], reason: string, version = "1"): GuardrailVerdict {
  return { layer: "input", rule, rule_version: version, action, reason };
}

const categoryCache = new Map<string, RegExp[]>();

function matchesCategory(scan: string, terms: readonly string[], patterns: readonly string[]): boolean {
  const key = JSON.stringify([terms, patterns]);
  let res = categoryCache.get(key);
  if (!res) {
    res = [
      ...terms.map((term) => new RegExp(`(?<![\\p{L}\\p{N}])${escape(toScanText(term).text).replace(/\s+/g, "\\s+")}(?![\\p{L}\\p{N}])`, "u")),
      ...patterns.map((source) => new RegExp(source, "iu")),
    ];
    categoryCache.set(key, res);
  }
  return res.some((re) => re.test(scan));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The refusal a blocked run completes with: says what was refused and why, without echoing the
 * secret or the blocked text back.
 */
export function refusalFor(verdicts: readonly GuardrailVerdict[]): string {
  const blocking = verdicts.filter((v) => v.action === "block");
  const first = blocking[0];
  if (!first) return "";
  if (first.rule.startsWith("input.sensitive.")) {
    return `I can't process this message because ${first.reason.replace(/^the message contains/, "it contains")}. Remove it and send the message again.`;
  }
  if (first.rule === "input.hidden_characters") {
    return "I can't process this message because it contains hidden or control characters. Send it again as plain text.";
  }
  if (first.rule.startsWith("input.category.")) {
    return `I can't help with this request: ${first.reason}.`;
  }
  if (first.rule.startsWith("injection.")) {
    return "I can't process this message: it asks me to override my instructions or reveal protected information.";
  }
  return `I can't process this message: ${first.reason}.`;
}
