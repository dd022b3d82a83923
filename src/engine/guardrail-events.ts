/**
 * Where the pure guardrail layers (guardrails/) meet the event log: verdicts become catalogue
 * events, each carrying its rule and the rule's version as `rule@version` (`injection.override@1`),
 * so a stored verdict says which rule set produced it (and a shadow run can compare against it).
 * Also the message screen that `start` applies before anything is stored, and the spans of layers
 * that run inside a command rather than a step.
 */
import { z } from "zod";
import { newEvent } from "./events";
import type { NewEvent } from "./events";
import { guardrailAttributes } from "./span-attributes";
import type { Attributes, GuardrailFacts } from "./span-attributes";
import { detectInjection, gateInput, refusalFor, GUARDRAILS_VERSION } from "./guardrails/index";
import type { GuardrailPolicy, GuardrailVerdict, InjectionVerdict, InputPolicy, SanitizedEvidence } from "./guardrails/index";
import { closeSpan, openSpan } from "./trace";
import type { Span } from "./trace";

export function ruleRef(rule: string, version: string): string {
  return `${rule}@${version}`;
}

/** `rule@version` back to its parts (a rule written before versions were recorded has version "0"). */
export function parseRuleRef(ref: string): { rule: string; version: string } {
  const at = ref.lastIndexOf("@");
  return at < 0 ? { rule: ref, version: "0" } : { rule: ref.slice(0, at), version: ref.slice(at + 1) };
}

export function triggeredEvent(verdict: GuardrailVerdict, spanId?: string): NewEvent {
  return newEvent(
    "guardrail.triggered",
    { layer: verdict.layer, rule: ruleRef(verdict.rule, verdict.rule_version), action: verdict.action, reason: verdict.reason },
    spanId,
  );
}

export function detectedEvent(verdict: InjectionVerdict, spanId?: string): NewEvent {
  return newEvent(
    "injection.detected",
    { source: verdict.source, source_id: verdict.source_id, score: Math.round(verdict.score * 1000) / 1000, rule: ruleRef(verdict.rule, verdict.rule_version) },
    spanId,
  );
}

/** `context.sanitized` for the items the sanitizer changed, with the text each now shows; null when none changed. */
export function sanitizedEvent(items: readonly SanitizedEvidence[], spanId?: string): NewEvent | null {
  const changed = items.filter((item) => item.removed.length > 0);
  if (changed.length === 0) return null;
  return newEvent(
    "context.sanitized",
    {
      chunk_ids: changed.map((item) => item.id),
      removed: changed.flatMap((item) => item.removed.map((r) => ({ chunk_id: r.chunk_id, reason: r.reason }))),
      texts: Object.fromEntries(changed.map((item) => [item.id, item.text])),
    },
    spanId,
  );
}

/** The verdict a context-layer detection becomes (the sanitizer's own shape for one item). */
export function contextVerdict(item: SanitizedEvidence): GuardrailVerdict {
  const { detection } = item;
  return {
    layer: "context",
    rule: detection.rule,
    rule_version: detection.rule_version,
    action: detection.action === "flag" ? "flag" : "redact",
    reason: `${item.kind === "chunk" ? "chunk" : "tool result"} ${item.id}: instruction-like text (score ${detection.score.toFixed(2)}) ${
      detection.action === "block" ? "withheld" : detection.action === "flag" ? "reported" : "removed"
    }`,
  };
}

/** A guardrail span for a layer that ran inside one decision: opened and closed at the same instant. */
export function instantSpan(spanId: string, parent: string, name: string, attributes: Attributes, iso: string): Span {
  return closeSpan(openSpan({ span_id: spanId, parent_span_id: parent, name, kind: "guardrail", attributes }, iso), iso, "ok");
}

/** A guardrail span's attributes under the rule set of this build. */
export function guardSpanAttributes(layer: "input" | "context" | "output", facts: GuardrailFacts = {}): Attributes {
  return guardrailAttributes(layer, GUARDRAILS_VERSION, facts);
}

export interface MessageScreen {
  /** The message as the run stores and uses it: hidden characters removed, secrets redacted. */
  text: string;
  verdicts: GuardrailVerdict[];
  detection: InjectionVerdict;
  blocked: boolean;
  refusal: string | null;
}

/**
 * The input layers on the user's message, before anything is written: the input gate, then the
 * injection detector on the message as typed (text smuggled in tag characters is still there). A
 * secret is redacted from what is stored even when the policy refuses the message, so the log
 * never holds it. An injection in the message is refused (`block`) or reported (`flag`, and
 * `sanitize`, which has no meaning for the user's own message).
 */
export function screenMessage(message: string, runId: string, policy: GuardrailPolicy): MessageScreen {
  const gate = gateInput(message, policy.input);
  const detection = detectInjection(message, { source: "message", source_id: runId, policy: policy.injection });
  const verdicts = [...gate.verdicts];
  if (detection.flagged) {
    const block = detection.action === "block";
    verdicts.push({
      layer: "input",
      rule: detection.rule,
      rule_version: detection.rule_version,
      action: block ? "block" : "flag",
      reason: `the message reads like a prompt injection (score ${detection.score.toFixed(2)})`,
    });
  }
  const blocked = verdicts.some((v) => v.action === "block");
  const text = blocked ? gateInput(message, forStorage(policy.input)).text : gate.text;
  return { text, verdicts, detection, blocked, refusal: blocked ? refusalFor(verdicts) : null };
}

/** `guardrail.triggered` data as a log recorded it (`rule` is `rule@version`). */
export const RecordedVerdict = z.object({ rule: z.string(), action: z.enum(["block", "redact", "flag"]), reason: z.string() });
export type RecordedVerdict = z.infer<typeof RecordedVerdict>;

/** A recorded verdict of `layer` as the layer returned it. */
export function recordedVerdict(layer: GuardrailVerdict["layer"], { rule, action, reason }: RecordedVerdict): GuardrailVerdict {
  return { layer, ...splitRule(rule), action, reason };
}

/**
 * The input layers' verdicts as a run's log recorded them, right after `run.started`. The message
 * as typed is never stored (its secrets are redacted), so a replay cannot screen it again: it
 * opens with this record instead (replay/setup.ts).
 */
export const RecordedScreen = z.object({
  verdicts: z.array(RecordedVerdict),
  /** `source_id` as recorded: the recorded run's id, also in a replay or an import of it. */
  injection: z.object({ source_id: z.string(), score: z.number(), rule: z.string() }).nullable(),
});
export type RecordedScreen = z.infer<typeof RecordedScreen>;

/** The screen a recorded run's start had: `text` is the stored message, the verdicts the recorded ones. */
export function replayedScreen(text: string, runId: string, record: RecordedScreen): MessageScreen {
  const verdicts = record.verdicts.map((verdict) => recordedVerdict("input", verdict));
  const blocked = verdicts.some((v) => v.action === "block");
  const injection = record.injection;
  const blocksInjection = injection !== null && verdicts.some((v) => v.action === "block" && ruleRef(v.rule, v.rule_version) === injection.rule);
  const detection: InjectionVerdict = {
    source: "message",
    source_id: injection?.source_id ?? runId,
    score: injection?.score ?? 0,
    flagged: injection !== null,
    ...splitRule(injection?.rule ?? ""),
    action: injection === null ? "none" : blocksInjection ? "block" : "flag",
    hits: [],
  };
  return { text, verdicts, detection, blocked, refusal: blocked ? refusalFor(verdicts) : null };
}

function splitRule(ref: string): { rule: string; rule_version: string } {
  const { rule, version } = parseRuleRef(ref);
  return { rule, rule_version: version };
}

/**
 * The message as a run stores it (hidden characters removed, secrets redacted, also when refused):
 * what a thread may keep for its title and its history, so that they never hold what the run's
 * own log does not.
 */
export function storedMessage(message: string, policy: GuardrailPolicy): string {
  return screenMessage(message, "", policy).text;
}

/** The input policy with every refusal turned into a redaction: what may be stored of a refused message. */
function forStorage(policy: InputPolicy): InputPolicy {
  const sensitive = Object.fromEntries(
    Object.entries(policy.sensitive).map(([kind, action]) => [kind, action === "block" ? "redact" : action]),
  ) as InputPolicy["sensitive"];
  return { ...policy, hidden: "normalise", sensitive, blocked_categories: [] };
}
