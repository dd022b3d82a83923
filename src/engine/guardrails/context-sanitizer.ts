/**
 * The context sanitizer: evidence (retrieved chunks, tool results) is data, never instructions.
 * Before evidence reaches a prompt, each item is scanned by the injection detector; by the policy for
 * its source, the sentences that carry instructions are removed (`sanitize`), the whole item is
 * withheld (`block`), or it is kept and reported (`flag`). Hidden characters are always removed and
 * the text can no longer open or close the prompt's evidence fences or chat-template turns.
 *
 * Seam: the retrieve step calls `sanitizeContext(chunks, {policy, tools})` and the act/deliver path
 * `sanitizeEvidence({id: request_id, kind: "tool_result", text})`; the step emits
 * `injection.detected` for each `detections` entry, `guardrail.triggered` for each `verdicts`
 * entry, and `context.sanitized` from `event` when it is not null; the prompt builder then uses
 * each item's `text` (and may wrap it with `fenceEvidence`).
 */
import { detectInjection, jsonText } from "./injection-detector";
import { InjectionPolicy } from "./policy";
import { countHidden, findHidden, stripHidden } from "./unicode";
import type { GuardrailVerdict, InjectionVerdict } from "./verdict";

export type EvidenceKind = "chunk" | "tool_result";

export interface EvidenceItem {
  id: string;
  kind: EvidenceKind;
  text: string;
}

export interface Removal {
  chunk_id: string;
  reason: string;
  rule: string;
  /** The removed span in the original text. */
  start: number;
  end: number;
}

export interface SanitizedEvidence {
  id: string;
  kind: EvidenceKind;
  /** The text to put in the prompt. */
  text: string;
  changed: boolean;
  removed: Removal[];
  detection: InjectionVerdict;
}

export interface SanitizeOptions {
  policy?: InjectionPolicy;
  /** The run's tool names, so evidence naming one in an imperative is recognised. */
  tools?: readonly string[];
}

export interface SanitizedContext {
  items: SanitizedEvidence[];
  /** `context.sanitized` data, or null when nothing was removed. */
  event: { chunk_ids: string[]; removed: Array<{ chunk_id: string; reason: string }> } | null;
  /** Flagged detections, one `injection.detected` each. */
  detections: InjectionVerdict[];
  /** One `guardrail.triggered {layer: "context"}` per item the policy acted on. */
  verdicts: GuardrailVerdict[];
}

export const REMOVED_MARK = "[removed: instructions found in evidence]";
export const WITHHELD_MARK = "[withheld: this item carried instructions to the assistant]";

const DEFAULT_POLICY = InjectionPolicy.parse({});

export function sanitizeEvidence(item: EvidenceItem, options: SanitizeOptions = {}): SanitizedEvidence {
  const policy = options.policy ?? DEFAULT_POLICY;
  // A JSON tool result is judged (and cleaned) as the text of its strings.
  if (item.kind === "tool_result") item = { ...item, text: jsonText(item.text) };
  const detection = detectInjection(item.text, {
    source: item.kind,
    source_id: item.id,
    policy,
    ...(options.tools ? { tools: options.tools } : {}),
  });
  const removed: Removal[] = [];
  let text = item.text;

  if (detection.flagged && detection.action === "block") {
    removed.push({ chunk_id: item.id, reason: `withheld: ${describe(detection)}`, rule: detection.rule, start: 0, end: item.text.length });
    return { id: item.id, kind: item.kind, text: WITHHELD_MARK, changed: true, removed, detection };
  }

  if (detection.flagged && detection.action === "sanitize") {
    // The sentences behind the score go; hidden-character signals are handled by stripping below.
    const spans = mergeSpans(detection.hits.filter((hit) => hit.rule !== "injection.hidden_text" && hit.weight >= 0.25).map((hit) => ({ ...hit.segment, rule: hit.rule })));
    for (const span of spans) {
      removed.push({ chunk_id: item.id, reason: `instruction-like text (${span.rule}): ${excerpt(item.text.slice(span.start, span.end))}`, rule: span.rule, start: span.start, end: span.end });
    }
    for (const span of [...spans].sort((a, b) => b.start - a.start)) {
      text = text.slice(0, span.start) + REMOVED_MARK + (/\s$/.test(item.text.slice(span.start, span.end)) ? " " : "") + text.slice(span.end);
    }
  }

  const hidden = findHidden(text);
  if (hidden.length > 0) {
    const counts = countHidden(hidden);
    const what = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(", ");
    removed.push({ chunk_id: item.id, reason: `hidden characters removed (${what})`, rule: "context.hidden_characters", start: 0, end: item.text.length });
    text = stripHidden(text, hidden);
  }
  const fenced = neutraliseFences(text);
  if (fenced !== text) {
    removed.push({ chunk_id: item.id, reason: "prompt delimiters neutralised", rule: "context.delimiters", start: 0, end: item.text.length });
    text = fenced;
  }
  return { id: item.id, kind: item.kind, text, changed: text !== item.text, removed, detection };
}

export function sanitizeContext(items: readonly EvidenceItem[], options: SanitizeOptions = {}): SanitizedContext {
  const sanitized = items.map((item) => sanitizeEvidence(item, options));
  const changed = sanitized.filter((s) => s.removed.length > 0);
  const detections = sanitized.filter((s) => s.detection.flagged).map((s) => s.detection);
  const verdicts: GuardrailVerdict[] = sanitized
    .filter((s) => s.detection.flagged)
    .map((s) => ({
      layer: "context",
      rule: s.detection.rule,
      rule_version: s.detection.rule_version,
      action: s.detection.action === "flag" ? "flag" : "redact",
      reason: `${s.kind === "chunk" ? "chunk" : "tool result"} ${s.id}: ${describe(s.detection)}`,
    }));
  return {
    items: sanitized,
    event:
      changed.length === 0
        ? null
        : { chunk_ids: changed.map((s) => s.id), removed: changed.flatMap((s) => s.removed.map((r) => ({ chunk_id: r.chunk_id, reason: r.reason }))) },
    detections,
    verdicts,
  };
}

/**
 * Evidence fenced as data: a tagged block that its text cannot close, with an attribute saying it
 * is untrusted. The prompt's system text should say that such blocks are data, not instructions.
 */
export function fenceEvidence(item: { id: string; kind: EvidenceKind; text: string }): string {
  const tag = item.kind === "chunk" ? "document" : "tool_result";
  return `<${tag} id="${item.id.replace(/["<>\n]/g, " ")}" trust="untrusted">\n${neutraliseFences(item.text)}\n</${tag}>`;
}

/** Chat-template tokens and the prompt's own block tags lose their angle brackets. */
export function neutraliseFences(text: string): string {
  return text
    .replace(/<\|([a-z_]+)\|>/gi, "‹|$1|›")
    .replace(/<(\/?)(documents?|tool_results?|message|answer|system|instructions?|im_start|im_end)\b/gi, "‹$1$2")
    .replace(/\[(\/?)INST\]/g, "‹$1INST›")
    .replace(/<<(\/?)SYS>>/g, "‹‹$1SYS››");
}

function describe(detection: InjectionVerdict): string {
  return `${detection.rule} (score ${detection.score.toFixed(2)})`;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length <= 80 ? flat : `${flat.slice(0, 77)}...`);
}

function mergeSpans(spans: Array<{ start: number; end: number; rule: string }>): Array<{ start: number; end: number; rule: string }> {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const merged: Array<{ start: number; end: number; rule: string }> = [];
  for (const span of sorted) {
    const last = merged[merged.length - 1];
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}
