/**
 * The injection detector: one function over a text from one source (the user's message, a
 * retrieved chunk, a tool result, a tool's input) that returns a score, the rules behind it and what
 * the policy for that source says to do. Pure and deterministic.
 *
 * How: the text is normalised (normalise.ts), scanned by the English rules and, when a word of
 * theirs appears, the other languages' rules; then every decoded or transformed view of it
 * (decoders.ts: base64, hex, percent-encoding, escapes, tag characters, leetspeak, spaced letters,
 * rot13, reversed) is scanned again, and a rule that matches only in a view that had to be decoded
 * weighs more, since nobody encodes an honest sentence. Hidden characters that split words, or text
 * hidden in tag characters, are signals of their own. The score is a noisy-or of the strongest hit
 * per rule, so two medium signals together flag a text that neither flags alone.
 *
 * Seam: the steps call `detectInjection` for the message (receive), each chunk (retrieve, through
 * the context sanitizer) and each tool result and tool input (act/deliver), and emit
 * `injection.detected` from `injectionEvent(verdict)` when `verdict.flagged`.
 */
import { decodePayloads, transformViews, type DecodedView } from "./decoders";
import { ANY_LANGUAGE_ANCHOR, LANGUAGE_GROUPS } from "./injection-lexicon";
import { ENGLISH_RULES, type InjectionRule } from "./injection-rules";
import { TASK_DIVERSION } from "./task-diversion";
import { toScanText, originalIndex, type ScanText } from "./normalise";
import { InjectionPolicy } from "./policy";
import { findHidden } from "./unicode";
import type { InjectionSource, InjectionVerdict, RuleHit } from "./verdict";

export interface DetectOptions {
  source: InjectionSource;
  source_id: string;
  policy?: InjectionPolicy;
  /** Qualified names of the run's tools (`notes.save`): evidence naming one in an imperative weighs more. */
  tools?: readonly string[];
}

/**
 * English read as rot13 or backwards: two of its commonest words so encoded (`gur`, `lbh`; `eht`,
 * `uoy`) or words the rules look for. A text in plain English has neither.
 */
const ROT13_WORDS = "(?:gur|naq|lbh|lbhe|guvf|gung|jvgu|sbe|nyy|vf|ner|bs|vtaber|vafgehpgvbaf?|cerivbhf|flfgrz|cebzcg|sbetrg|erirny)";
const ROT13_HINT = new RegExp(`\\b${ROT13_WORDS}\\b[^]*?\\b${ROT13_WORDS}\\b`);
const REVERSED_WORDS = "(?:eht|dna|uoy|ruoy|siht|taht|htiw|rof|lla|si|era|fo|erongi|snoitcurtsni|tpmorp|tegrof|laever)";
const REVERSED_HINT = new RegExp(`(?<![a-z])${REVERSED_WORDS}(?![a-z])[^]*?(?<![a-z])${REVERSED_WORDS}(?![a-z])`);

const DEFAULT_POLICY = InjectionPolicy.parse({});

export function detectInjection(input: string, options: DetectOptions): InjectionVerdict {
  const text = options.source === "message" ? input : jsonText(input);
  const policy = options.policy ?? DEFAULT_POLICY;
  const evidence = options.source !== "message";
  const extra = options.tools && options.tools.length > 0 && evidence ? [toolRule(options.tools)] : [];
  const hits = scan(text, evidence, extra, 0);
  const score = scoreOf(hits);
  const top = [...hits].sort((a, b) => b.weight - a.weight)[0];
  const flagged = score >= policy.threshold;
  return {
    source: options.source,
    source_id: options.source_id,
    score,
    flagged,
    rule: top?.rule ?? "none",
    rule_version: top?.rule_version ?? "0",
    action: flagged ? policy.sources[options.source] : "none",
    hits,
  };
}

/**
 * Evidence that is JSON (a tool result, an API response) is read as the text of its strings, so
 * that `\n` escapes and quotes do not glue words together. Spans then refer to that text.
 */
export function jsonText(text: string): string {
  const trimmed = text.trim();
  if (!(trimmed.startsWith("{") || trimmed.startsWith("[")) || !(trimmed.endsWith("}") || trimmed.endsWith("]"))) return text;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return text;
  }
  const strings: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 32) return;
    if (typeof v === "string") strings.push(v);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (v && typeof v === "object") for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(value, 0);
  return strings.join("\n");
}

/**
 * Noisy-or over the hits: the strongest hit of each rule counts whole, every other distinct signal
 * of the same rule (another pattern, another view) at half weight, so one phrase matched by two
 * overlapping patterns does not count twice while two different signs of one kind still add up.
 */
function scoreOf(hits: readonly RuleHit[]): number {
  if (hits.length === 0) return 0;
  const byRule = new Map<string, number[]>();
  for (const hit of hits) byRule.set(hit.rule, [...(byRule.get(hit.rule) ?? []), hit.weight]);
  let miss = 1;
  for (const weights of byRule.values()) {
    const sorted = [...weights].sort((a, b) => b - a);
    sorted.forEach((w, i) => (miss *= 1 - (i === 0 ? w : w / 2)));
  }
  return 1 - miss;
}

/** Views that had to be decoded: a rule matching there was hidden on purpose. */
const DECODED = new Set(["base64", "hex", "binary", "morse", "caesar", "url", "entities", "escapes", "tags", "bidi", "rot13", "reversed"]);

function scan(original: string, evidence: boolean, extra: InjectionRule[], depth: number): RuleHit[] {
  const scanText = toScanText(original);
  const hits: RuleHit[] = [];
  const rules = evidence ? [...ENGLISH_RULES, ...extra] : ENGLISH_RULES.filter((rule) => rule.scope === "all");
  runRules(rules, scanText.text, (rule, index) => hits.push(hitAt(rule, "text", original, scanText, index)));
  if (ANY_LANGUAGE_ANCHOR.test(scanText.text)) {
    for (const group of LANGUAGE_GROUPS) {
      if (!group.anchor.test(scanText.text)) continue;
      runRules(group.rules, scanText.text, (rule, index) => hits.push(hitAt(rule, "text", original, scanText, index)));
    }
  }
  if (evidence) {
    const diversion = TASK_DIVERSION.weigh(scanText.text);
    // Not discounted as a mention: "example", "called" and quotes are the stuff of such requests.
    if (diversion) {
      // The request itself is the segment (its sentence may not end in a full stop).
      const start = originalIndex(scanText, diversion.index, original.length);
      const end = Math.max(start + 1, originalIndex(scanText, diversion.end - 1, original.length) + 1);
      hits.push({ rule: TASK_DIVERSION.id, rule_version: TASK_DIVERSION.version, weight: diversion.weight, base: diversion.weight, view: "text", segment: { start, end }, excerpt: clip(original.slice(start, end)) });
    }
  }
  if (scanText.hiddenInWords >= 2) {
    hits.push(hidden("injection.hidden_text", 0.35, "text", original, `${scanText.hiddenInWords} invisible characters inside words`));
  }
  if (evidence && findHidden(original).some((h) => h.kind === "bidi")) {
    hits.push(hidden("injection.hidden_text", 0.2, "text", original, "bidi control characters"));
  }

  const plain = new Map<string, number>();
  // Compared before any discount for a mention: a quoted phrase decoded again is still a mention.
  for (const hit of hits) plain.set(hit.rule, Math.max(plain.get(hit.rule) ?? 0, hit.base ?? hit.weight));
  // Whole-text transforms apply to the text as given, not to a view of it (rot13 of rot13 is itself).
  const views: DecodedView[] = depth === 0 ? transformViews(scanText.text, ROT13_HINT, REVERSED_HINT) : [];
  if (depth < 2) views.push(...decodePayloads(original));
  for (const view of views) {
    if (view.view === "tags" && view.text.trim().length >= 3) {
      hits.push({ ...hidden("injection.hidden_text", 0.7, "tags", original, "text hidden in Unicode tag characters"), excerpt: clip(view.text) });
    }
    const viewHits = DECODED.has(view.view) && !["entities", "escapes"].includes(view.view) ? scan(view.text, evidence, extra, depth + 1) : scanView(view.text, rules);
    for (const hit of viewHits) {
      if (hit.weight < 0.3) continue;
      // The same rule already matched the text as written (maybe as a mention): this view adds nothing.
      if ((plain.get(hit.rule) ?? 0) >= hit.weight) continue;
      // Nobody encodes an honest instruction: a clear signal found only after decoding weighs more.
      const weight = DECODED.has(view.view) && hit.weight >= 0.45 ? Math.max(hit.weight, 0.75) : Math.min(0.95, hit.weight + 0.15);
      hits.push({ ...hit, weight, view: view.view, segment: segmentOf(original, view.start, view.end), excerpt: clip(view.text) });
    }
  }
  return hits;
}

/** A whole-text transform (leetspeak, spaced letters, entities): the rules only, no further views. */
function scanView(text: string, rules: InjectionRule[]): RuleHit[] {
  const hits: RuleHit[] = [];
  runRules(rules, text, (rule, index) =>
    hits.push({ rule: rule.id, rule_version: rule.version, weight: rule.weight, view: "text", segment: { start: 0, end: text.length }, excerpt: clip(text.slice(index)) }),
  );
  if (ANY_LANGUAGE_ANCHOR.test(text)) {
    for (const group of LANGUAGE_GROUPS) {
      if (!group.anchor.test(text)) continue;
      runRules(group.rules, text, (rule, index) =>
        hits.push({ rule: rule.id, rule_version: rule.version, weight: rule.weight, view: "text", segment: { start: 0, end: text.length }, excerpt: clip(text.slice(index)) }),
      );
    }
  }
  return hits;
}

function runRules(rules: readonly InjectionRule[], text: string, onHit: (rule: InjectionRule, index: number) => void): void {
  for (const rule of rules) {
    const index = rule.find(text);
    if (index >= 0) onHit(rule, index);
  }
}

function hitAt(rule: InjectionRule, view: string, original: string, scanText: ScanText, match: number): RuleHit {
  // A rule may match from the punctuation that ends the sentence before its own.
  let index = match;
  while (index < scanText.text.length && index < match + 4 && /[\s.!?:;>*•\-]/.test(scanText.text[index] ?? "")) index++;
  const at = originalIndex(scanText, index, original.length);
  const segment = segmentOf(original, at, at + 1);
  const weight = rule.weight * mentionFactor(original, at, segment);
  return { rule: rule.id, rule_version: rule.version, weight, base: rule.weight, view, segment, excerpt: clip(original.slice(segment.start, segment.end)) };
}

const QUOTES = /["“”„«»`]|(?<![\p{L}])'|'(?![\p{L}])/gu;
const MENTION = /\b(?:prompt injections?|injection attacks?|jailbreak(?:s|ing)?|phrases?|examples?|such as|e\.g\.|for instance|known as|called|meaning|detect(?:s|ed|ing|ion|or)|classif(?:y|ier)|red[- ]team(?:ing)?|researchers?|benchmarks?|datasets?|strings? like|filter(?:s|ing)? for|regex|test cases?)\b/i;

/**
 * A rule that matched inside quotation marks, or in a sentence that talks about attacks ("what
 * does 'ignore previous instructions' do?"), is a mention rather than a use: it weighs less.
 */
function mentionFactor(original: string, at: number, segment: { start: number; end: number }): number {
  const sentence = original.slice(segment.start, segment.end).replace(/\S*(?:\/\/|www\.)\S*/g, " ");
  const before = original.slice(segment.start, at);
  const quoted = (before.match(QUOTES)?.length ?? 0) % 2 === 1;
  const discussed = MENTION.test(sentence);
  if (quoted && discussed) return 0.3;
  if (quoted || discussed) return 0.55;
  return 1;
}

function hidden(rule: string, weight: number, view: string, original: string, excerpt: string): RuleHit {
  return { rule, rule_version: "1", weight, view, segment: { start: 0, end: original.length }, excerpt };
}

const BOUNDARY = /[.!?。！？\n]/;

/**
 * The sentence (or line) around `[start, end)`: back to the previous sentence end, forward to the
 * next, so that a sanitizer removes the instruction and keeps the rest of the evidence.
 */
export function segmentOf(text: string, start: number, end: number): { start: number; end: number } {
  let from = Math.max(0, Math.min(start, text.length));
  while (from > 0 && !(BOUNDARY.test(text[from - 1] ?? "") && /\s/.test(text[from] ?? " "))) from--;
  let to = Math.max(from, Math.min(end, text.length));
  while (to < text.length && !(BOUNDARY.test(text[to] ?? "") && (text[to] === "\n" || /\s|[。！？]/.test(text[to + 1] ?? " ") || /[。！？]/.test(text[to] ?? "")))) to++;
  if (to < text.length && text[to] !== "\n") to++;
  while (from < to && /\s/.test(text[from] ?? "")) from++;
  return { start: from, end: to };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= 120 ? flat : `${flat.slice(0, 117)}...`;
}

const toolRules = new Map<string, InjectionRule>();

/**
 * In a list of tools: the catalogue is unknown (it could not be read), so any `server.tool` name
 * counts as one. Fails closed: "use example.com" is then read as naming a tool too.
 */
export const ANY_TOOL = "*";

/** An imperative naming one of the run's own tools (`notes.save`, `save note`), or any with ANY_TOOL. */
function toolRule(tools: readonly string[]): InjectionRule {
  const key = tools.join(",");
  const cached = toolRules.get(key);
  if (cached) return cached;
  const names = tools
    .flatMap((tool) => {
      if (tool === ANY_TOOL) return ["[a-z][a-z0-9_-]*\\.[a-z][a-z0-9_]*"];
      const lower = tool.toLowerCase();
      const [server, name] = lower.includes(".") ? lower.split(".", 2) : ["", lower];
      // A bare name that is an ordinary word ("list", "save") says nothing: "make a list" is not a tool call.
      const forms = [lower, /[_\d]/.test(name ?? "") ? (name ?? "") : ""];
      if (server && name) forms.push(`${server} ${name}`, `${name} ${server}`, `${server}_${name}`);
      return forms.map((form) => form.replace(/_/g, "[_ ]").replace(/\./g, "\\."));
    })
    .filter((form) => form.length >= 3);
  const re = new RegExp(
    `\\b(?:call|invoke|run|execute|use|trigger|perform|do|make|please|now|then|immediately|must|should)\\b[^.!?\\n]{0,30}?[\`'"]?(?:${names.join("|")})\\b(?!\\s*\\()`,
    "g",
  );
  const rule: InjectionRule = {
    id: "injection.tool_call",
    version: "2",
    weight: 0.75,
    scope: "evidence",
    find(text) {
      re.lastIndex = 0;
      const m = re.exec(text);
      return m ? m.index : -1;
    },
  };
  toolRules.set(key, rule);
  return rule;
}
