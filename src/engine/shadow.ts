/**
 * Shadow runs: the current guardrail rules re-run over what stored runs saw (their message, the
 * chunks they retrieved, their tool results), compared with what the rules of the day decided, so
 * a rule change is judged on real traffic before it ships. Pure: a run's events in, a report out.
 * `npm run guardrails:shadow` (scripts/guardrails-shadow.ts) feeds it the runs of a tenant.
 *
 * What is compared, per text: whether the injection detector flags it now and whether it did then
 * (`injection.detected` for that source and id), and for the message whether the run would now be
 * refused and whether it was (`run.completed.refused`). The message is the one the run stored,
 * after the input gate of its day: a secret it redacted stays redacted, hidden characters it removed
 * are gone, so a shadow run cannot judge those again.
 */
import type { RunEvent } from "./events";
import { parseRuleRef } from "./guardrail-events";
import { detectInjection, gateInput, toolResultText } from "./guardrails/index";
import type { GuardrailPolicy } from "./guardrails/index";

export type ShadowChange = "newly_flagged" | "no_longer_flagged" | "newly_blocked" | "no_longer_blocked";

export interface ShadowFinding {
  run_id: string;
  source: "message" | "chunk" | "tool_result";
  source_id: string;
  change: ShadowChange;
  /** The rule and score of the day (`rule@version`), and those of the current rules. */
  before: { rule: string; score: number } | null;
  after: { rule: string; score: number } | null;
  excerpt: string;
}

export interface ShadowRunReport {
  run_id: string;
  texts: number;
  findings: ShadowFinding[];
}

interface Text {
  source: "message" | "chunk" | "tool_result";
  id: string;
  text: string;
}

/** The texts a run's guardrails judged, from its events. */
function textsOf(events: readonly RunEvent[], runId: string): Text[] {
  const texts: Text[] = [];
  for (const event of events) {
    if (event.type === "run.started") texts.push({ source: "message", id: runId, text: event.data.message });
    else if (event.type === "retrieval.completed") {
      for (const chunk of event.data.chunks ?? []) if (!texts.some((t) => t.source === "chunk" && t.id === chunk.id)) texts.push({ source: "chunk", id: chunk.id, text: chunk.text });
    } else if (event.type === "tool.completed") texts.push({ source: "tool_result", id: event.data.request_id, text: toolResultText(event.data.result) });
  }
  return texts;
}

export function shadowRun(events: readonly RunEvent[], policy: GuardrailPolicy, tools: readonly string[] = []): ShadowRunReport {
  const runId = events[0]?.run_id ?? "";
  const before = new Map<string, { rule: string; score: number }>();
  for (const event of events) {
    if (event.type === "injection.detected") before.set(`${event.data.source}:${event.data.source_id}`, { rule: event.data.rule, score: event.data.score });
  }
  const refusedThen = events.some((e) => e.type === "run.completed" && e.data.refused);
  const findings: ShadowFinding[] = [];
  const texts = textsOf(events, runId);
  for (const text of texts) {
    const verdict = detectInjection(text.text, { source: text.source, source_id: text.id, policy: policy.injection, tools });
    const now = verdict.flagged ? { rule: `${verdict.rule}@${verdict.rule_version}`, score: Math.round(verdict.score * 1000) / 1000 } : null;
    const then = before.get(`${text.source}:${text.id}`) ?? null;
    const excerpt = text.text.replace(/\s+/g, " ").trim().slice(0, 120);
    const base = { run_id: runId, source: text.source, source_id: text.id, before: then, after: now, excerpt };
    if (text.source === "message") {
      const gate = gateInput(text.text, policy.input);
      const refusedNow = gate.blocked || (verdict.flagged && verdict.action === "block");
      if (refusedNow !== refusedThen) findings.push({ ...base, change: refusedNow ? "newly_blocked" : "no_longer_blocked" });
      else if ((now === null) !== (then === null)) findings.push({ ...base, change: now ? "newly_flagged" : "no_longer_flagged" });
      continue;
    }
    if ((now === null) !== (then === null)) findings.push({ ...base, change: now ? "newly_flagged" : "no_longer_flagged" });
  }
  return { run_id: runId, texts: texts.length, findings };
}

export interface ShadowSummary {
  runs: number;
  texts: number;
  changes: Record<ShadowChange, number>;
  /** Rules behind the changes, `rule` without its version, most frequent first. */
  rules: Array<{ rule: string; count: number }>;
}

export function summarise(reports: readonly ShadowRunReport[]): ShadowSummary {
  const changes: Record<ShadowChange, number> = { newly_flagged: 0, no_longer_flagged: 0, newly_blocked: 0, no_longer_blocked: 0 };
  const rules = new Map<string, number>();
  for (const finding of reports.flatMap((r) => r.findings)) {
    changes[finding.change]++;
    const ref = finding.after ?? finding.before;
    if (ref) rules.set(parseRuleRef(ref.rule).rule, (rules.get(parseRuleRef(ref.rule).rule) ?? 0) + 1);
  }
  return {
    runs: reports.length,
    texts: reports.reduce((n, r) => n + r.texts, 0),
    changes,
    rules: [...rules].map(([rule, count]) => ({ rule, count })).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
  };
}
