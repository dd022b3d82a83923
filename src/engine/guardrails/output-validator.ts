/**
 * The output validator on the stream. The model's deltas go in; what comes out is safe to send to
 * subscribers: no secret or key, no run of the system prompt, no link or image to a host outside
 * the allowlist, and no link whose URL came from evidence rendered as a link (it becomes plain text
 * in a code span, which no markdown renderer links).
 *
 * It holds back a short window: the trailing word (a key, a URL or an email may still grow), an
 * unclosed markdown link, a digit run that may become a card number, an unterminated PEM block, and
 * the last words when they are words of the system prompt in its order (a run that may still become
 * a leak). Everything before the window is final; ordinary prose is let out as it comes.
 *
 * Seam: the respond step creates one `OutputStreamGuard` per output attempt, calls `push(delta)` for
 * each model delta and `end()` when the model finishes. For each step result it emits the
 * `verdicts` first (`guardrail.triggered {layer: "output", action: "redact"}`) and then, when `text`
 * is not empty, `output.chunk {text}`: a verdict is always known before the chunk that carries its
 * redaction. `output.completed` carries `guard.emitted`. After the stream, `checkAnswer` checks the
 * whole answer's shape for its mode.
 */
import { ProtectedTexts, tokenize } from "./leakage";
import { evidenceUrls, findLinks, hostAllowed, hostOf, urlKey, type LinkMatch } from "./links";
import { OutputPolicy, type SensitiveKind } from "./policy";
import { findSensitive, redactionMark, SENSITIVE_RULE_VERSION } from "./sensitive";
import type { GuardrailVerdict } from "./verdict";

export interface OutputGuardOptions {
  policy?: OutputPolicy;
  /** Texts that must never be repeated: the system prompts of the run's model calls. */
  protectedTexts?: readonly string[];
  /** The run's evidence (chunk texts, tool results): a link to a URL found there is shown as text. */
  evidenceTexts?: readonly string[];
}

export interface StreamStep {
  /** Safe to emit now (may be ""). */
  text: string;
  /** Redactions made in `text`; emit them before it. */
  verdicts: GuardrailVerdict[];
}

interface Span {
  start: number;
  end: number;
  replacement: string;
  verdict: GuardrailVerdict | null;
}

const DEFAULT_POLICY = OutputPolicy.parse({});
const SECRET_KINDS = new Set<SensitiveKind>(["api_key", "private_key", "jwt", "card"]);
const PERSONAL_KINDS = new Set<SensitiveKind>(["api_key", "private_key", "jwt", "card", "email", "phone"]);
/**
 * How far back a scan starts before the cursor. Held constructs start at or after the cursor, so
 * only a system-prompt run that continues across it needs text from before: a few words.
 */
const LOOKBACK = 300;
const MAX_LINK_HOLD = 2400;

export class OutputStreamGuard {
  private raw = "";
  private cursor = 0;
  private out = "";
  private readonly policy: OutputPolicy;
  private readonly protectedTexts: ProtectedTexts;
  private readonly evidenceKeys: Set<string>;
  private readonly evidenceJoined: string;
  private readonly kinds: Set<SensitiveKind>;

  constructor(options: OutputGuardOptions = {}) {
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.protectedTexts = ProtectedTexts.of(options.protectedTexts ?? [], this.policy.leak_shingle_words);
    this.evidenceKeys = evidenceUrls(options.evidenceTexts ?? []);
    this.evidenceJoined = (options.evidenceTexts ?? []).join("\n").toLowerCase();
    this.kinds = this.policy.personal_data === "redact" ? PERSONAL_KINDS : SECRET_KINDS;
  }

  /** Everything emitted so far: the answer as subscribers saw it. */
  get emitted(): string {
    return this.out;
  }

  /** Characters pushed and not yet let out: the window held back. */
  get held(): number {
    return this.raw.length - this.cursor;
  }

  /** Whether the window held back holds a line end (after a number, say, that could still grow). */
  get holdsLineEnd(): boolean {
    return this.raw.indexOf("\n", this.cursor) >= 0;
  }

  push(delta: string): StreamStep {
    this.raw += delta;
    return this.advance(false);
  }

  /**
   * Lets out everything pushed so far, holding nothing back: for a model whose every delta is a
   * whole chunk (the offline model, a replay of recorded output), so that each chunk stays one
   * chunk. Such a model must not cut inside a link, a number or a key (output-chunks.ts does not).
   */
  release(): StreamStep {
    return this.advance(true);
  }

  /** The model finished: nothing more will come. */
  end(): StreamStep {
    return this.advance(true);
  }

  private advance(final: boolean): StreamStep {
    const safeEnd = final ? this.raw.length : Math.max(this.cursor, this.holdPoint());
    if (safeEnd <= this.cursor && !final) return { text: "", verdicts: [] };
    let from = Math.max(0, this.cursor - LOOKBACK);
    while (from > 0 && !/\s/.test(this.raw[from - 1] ?? "")) from--;
    const spans = this.spans(from);
    const verdicts: GuardrailVerdict[] = [];
    let text = "";
    let pos = this.cursor;
    for (const span of spans) {
      if (span.end <= pos || span.start >= safeEnd) continue;
      if (span.start >= pos) {
        text += this.raw.slice(pos, span.start) + span.replacement;
        if (span.verdict) verdicts.push(span.verdict);
      }
      // A span that began before the cursor was replaced then; the rest of it is swallowed.
      pos = Math.max(pos, span.end);
    }
    if (pos < safeEnd) {
      text += this.raw.slice(pos, safeEnd);
      pos = safeEnd;
    }
    this.cursor = pos;
    this.out += text;
    return { text, verdicts };
  }

  /** The earliest index that may still change meaning when more text arrives. */
  private holdPoint(): number {
    const raw = this.raw;
    let hold = raw.length;
    const take = (index: number) => {
      if (index >= this.cursor && index < hold) hold = index;
    };
    // The word being written: a key, a URL, an email may still grow.
    take(raw.search(/\S*$/));
    // A digit run that may still become a card or phone number.
    const tail40 = raw.slice(-40);
    const digits = /[+(]?\d[\d\s().-]{0,28}$/.exec(tail40);
    if (digits) take(raw.length - tail40.length + digits.index);
    // An unclosed markdown link or image.
    const open = raw.lastIndexOf("[");
    if (open >= 0 && raw.length - open <= MAX_LINK_HOLD) {
      const tail = raw.slice(open);
      if (/^\[[^\]\n]{0,300}(?:\](?:\([^)\n]*)?)?$/.test(tail) || /^\[[^\]\n]{0,300}\]\([^)\n]*$/.test(tail)) take(raw[open - 1] === "!" ? open - 1 : open);
    }
    // An unterminated private key block.
    const begin = raw.lastIndexOf("-----BEGIN");
    if (begin >= 0 && !/-----END [A-Z ]*-----/.test(raw.slice(begin))) take(begin);
    else if (/-(?:-{0,4}(?:B(?:E(?:G(?:I(?:N)?)?)?)?)?)?$/.test(raw)) take(raw.search(/-+[A-Z]*$/));
    // The last words, when they could still grow into a run of a protected text (the trailing
    // word, which may still grow, is held above and left out here).
    if (!this.protectedTexts.empty) {
      const base = Math.max(0, this.cursor - 200);
      const tokens = tokenize(raw.slice(base));
      const complete = /[\p{L}\p{N}]$/u.test(raw) ? tokens.slice(0, -1) : tokens;
      const at = this.protectedTexts.growing(complete);
      const first = complete[at];
      if (first !== undefined) take(Math.max(this.cursor, base + first.start));
    }
    return hold;
  }

  private spans(from: number): Span[] {
    const raw = this.raw;
    const spans: Span[] = [];
    for (const match of findSensitive(raw.slice(from), this.kinds)) {
      spans.push({
        start: from + match.start,
        end: from + match.end,
        replacement: redactionMark(match.kind),
        verdict: verdict(`output.secret.${match.kind}`, `redacted ${match.kind.replace("_", " ")} (${match.shape}) from the answer`, SENSITIVE_RULE_VERSION),
      });
    }
    for (const link of findLinks(raw, from)) {
      const span = this.linkSpan(link);
      if (span) spans.push(span);
    }
    if (!this.protectedTexts.empty) {
      const base = Math.max(0, from - 200);
      const { spans: leaks } = this.protectedTexts.leaks(raw.slice(base));
      for (const leak of leaks) {
        spans.push({
          start: base + leak.start,
          end: base + leak.end,
          replacement: "[redacted: system instructions]",
          verdict: verdict("output.leak.system_prompt", "redacted text that repeats the system prompt", "1"),
        });
      }
    }
    // Earliest first; of two that overlap, the one that starts first (or is longer) wins.
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const kept: Span[] = [];
    for (const span of spans) {
      const last = kept[kept.length - 1];
      if (last && span.start < last.end) {
        if (span.end > last.end && span.verdict?.rule === "output.leak.system_prompt" && last.verdict?.rule === "output.leak.system_prompt") last.end = span.end;
        continue;
      }
      kept.push(span);
    }
    return kept;
  }

  private linkSpan(link: LinkMatch): Span | null {
    const host = hostOf(link.url);
    const allowed = hostAllowed(host, this.policy.link_allowlist);
    // A URL already shown as code (what this guard makes of an evidence link) is text, not a link:
    // left alone, so that guarding guarded output changes nothing.
    if (allowed && link.kind === "bare" && this.raw[link.start - 1] === "`" && this.raw[link.end] === "`") return null;
    const key = urlKey(link.url);
    const fromEvidence = key.length > 0 && (this.evidenceKeys.has(key) || this.evidenceJoined.includes(key.toLowerCase()));
    if (allowed && !fromEvidence) return null;
    const label = link.label.trim();
    const hostName = host && host.length > 0 ? host : "an unknown host";
    if (!allowed) {
      const replacement = link.kind === "image" ? `[image removed${label ? `: ${label}` : ""}]` : link.kind === "link" && label && !/^(?:https?:|www\.)/i.test(label) ? label : "[link removed]";
      return {
        start: link.start,
        end: link.end,
        replacement,
        verdict: verdict(link.kind === "image" ? "output.image.host" : "output.link.host", `removed a ${link.kind === "image" ? "image" : "link"} to ${hostName}, which is not in OUTPUT_LINK_ALLOWLIST`, "1"),
      };
    }
    // Allowed host, URL taken from evidence: shown, never linked.
    const code = "`" + link.url.replace(/`/g, "") + "`";
    const replacement = link.kind === "bare" ? code : link.kind === "reference" ? `[${label}]: ${code}` : `${label} (${code})`;
    return {
      start: link.start,
      end: link.end,
      replacement,
      verdict: verdict("output.link.evidence", `rendered a ${link.kind === "image" ? "image" : "link"} whose URL came from evidence as plain text`, "1", "flag"),
    };
  }
}

function verdict(rule: string, reason: string, version: string, action: GuardrailVerdict["action"] = "redact"): GuardrailVerdict {
  return { layer: "output", rule, rule_version: version, action, reason };
}

/** The whole answer at once (a non-streamed answer, or a test): the same filter, pushed in one go. */
export function validateOutput(answer: string, options: OutputGuardOptions = {}): { text: string; verdicts: GuardrailVerdict[] } {
  const guard = new OutputStreamGuard(options);
  const a = guard.push(answer);
  const b = guard.end();
  return { text: guard.emitted, verdicts: [...a.verdicts, ...b.verdicts] };
}
