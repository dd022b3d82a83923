/**
 * Verdicts: what every guardrail layer returns, shaped so that the steps turn them into catalogue
 * events with no translation (src/engine/events.ts): a `GuardrailVerdict` is the data of
 * `guardrail.triggered` plus the rule's version and an optional span; an `InjectionVerdict` is the
 * data of `injection.detected` plus the version and the rules behind the score.
 *
 * Rule ids are stable, dotted and lower-case (`input.secret.api_key`); a rule's version changes
 * whenever what it matches changes, so a stored verdict says which rule set produced it.
 */
export type GuardrailLayer = "input" | "context" | "output";
export type GuardrailAction = "block" | "redact" | "flag";
export type InjectionSource = "message" | "chunk" | "tool_result";

/** The version of this rule set as a whole; each rule also carries its own. */
export const GUARDRAILS_VERSION = "2026.05.2";

export interface GuardrailVerdict {
  layer: GuardrailLayer;
  rule: string;
  rule_version: string;
  action: GuardrailAction;
  reason: string;
  /** Where in the layer's input text the rule matched, when it has one place. */
  span?: { start: number; end: number };
}

/** `guardrail.triggered` data from a verdict (the event has no version or span). */
export function guardrailEvent(verdict: GuardrailVerdict): { layer: GuardrailLayer; rule: string; action: GuardrailAction; reason: string } {
  return { layer: verdict.layer, rule: verdict.rule, action: verdict.action, reason: verdict.reason };
}

export interface RuleHit {
  rule: string;
  rule_version: string;
  weight: number;
  /** The rule's own weight, before a discount for being quoted or discussed. */
  base?: number;
  /** Which view of the text it matched in: the text itself or a decoded/normalised form of it. */
  view: string;
  /** Offsets in the original text of the segment the hit lies in (whole text when unknown). */
  segment: { start: number; end: number };
  excerpt: string;
}

export interface InjectionVerdict {
  source: InjectionSource;
  source_id: string;
  /** 0..1; `flagged` when at or above the policy's threshold. */
  score: number;
  flagged: boolean;
  /** The strongest rule behind the score (`injection.detected.rule`). */
  rule: string;
  rule_version: string;
  /** What the policy for this source says to do with a flagged text. */
  action: "block" | "sanitize" | "flag" | "none";
  hits: RuleHit[];
}

/** `injection.detected` data from a flagged verdict. */
export function injectionEvent(verdict: InjectionVerdict): { source: InjectionSource; source_id: string; score: number; rule: string } {
  return { source: verdict.source, source_id: verdict.source_id, score: round(verdict.score), rule: verdict.rule };
}

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
