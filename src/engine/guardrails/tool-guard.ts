/**
 * Tool-level guardrails: a tool's input and its output pass the injection detector (a tool result
 * is evidence, never instructions), and an approval shows the approver what is really in the
 * arguments: warnings for hidden, bidi and control characters and for mixed-script look-alikes
 * anywhere in them (keys and nested values), a warning when the run already saw a suspected
 * injection, and the arguments rendered as JSON with every hidden character escaped (`\u202E`).
 *
 * Seam: the act step calls `approvalWarnings(args, {detections})` when it asks for an approval and
 * puts `warnings` into `approval.requested.warnings` (and may show `escaped`); it calls
 * `checkToolInput(requestId, args)` before dispatching a call and `checkToolResult(requestId,
 * result)` when a result is delivered, emitting `injection.detected` for a flagged verdict; the
 * result's text goes to the prompt through `sanitizeEvidence` (context-sanitizer.ts).
 */
import { detectInjection } from "./injection-detector";
import type { InjectionPolicy } from "./policy";
import { countHidden, findHidden, type HiddenChar } from "./unicode";
import type { InjectionVerdict } from "./verdict";

export interface ApprovalWarning {
  code: "hidden_characters" | "bidi_characters" | "control_characters" | "mixed_script" | "injection_in_args" | "suspected_injection_upstream";
  message: string;
}

export interface ApprovalWarnings {
  warnings: ApprovalWarning[];
  /** The arguments as indented JSON, every hidden character written as a JSON escape. */
  escaped: string;
}

/** Every string in a JSON value (keys included), with its path (`args.items[2].title`). */
export function walkStrings(value: unknown, path = "args", out: Array<{ path: string; text: string }> = [], depth = 0): Array<{ path: string; text: string }> {
  if (depth > 32) return out;
  if (typeof value === "string") out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((item, i) => walkStrings(item, `${path}[${i}]`, out, depth + 1));
  else if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const keyPath = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (findHidden(key).length > 0) out.push({ path: `${keyPath} (key)`, text: key });
      walkStrings(item, keyPath, out, depth + 1);
    }
  }
  return out;
}

/** What an approval needs to know of an earlier detection (a verdict, or an `injection.detected` as folded into RunState). */
export type UpstreamDetection = Pick<InjectionVerdict, "source" | "source_id" | "score" | "rule"> & { flagged?: boolean };

export function approvalWarnings(
  args: unknown,
  options: { detections?: readonly UpstreamDetection[]; policy?: InjectionPolicy; tools?: readonly string[] } = {},
): ApprovalWarnings {
  const warnings: ApprovalWarning[] = [];
  const strings = walkStrings(args);
  for (const { path, text } of strings) {
    const hidden = findHidden(text);
    if (hidden.length > 0) {
      const counts = countHidden(hidden);
      const list = codePoints(hidden);
      if (counts.bidi > 0) {
        warnings.push({ code: "bidi_characters", message: `${path} contains ${counts.bidi} bidi control character(s) (${list.bidi}): the text may display in another order than it is stored` });
      }
      if (counts.invisible + counts.tag > 0) {
        warnings.push({ code: "hidden_characters", message: `${path} contains ${counts.invisible + counts.tag} invisible character(s) (${[list.invisible, list.tag].filter(Boolean).join(", ")}): the stored text differs from what is shown` });
      }
      if (counts.control > 0) {
        warnings.push({ code: "control_characters", message: `${path} contains ${counts.control} control character(s) (${list.control})` });
      }
    }
    const mixed = mixedScriptWord(text);
    if (mixed) warnings.push({ code: "mixed_script", message: `${path} mixes Latin with look-alike letters of another script in "${mixed}"` });
  }
  const joined = strings.map((s) => s.text).join("\n");
  if (joined.length > 0) {
    const verdict = detectInjection(joined, { source: "tool_result", source_id: "args", ...(options.policy ? { policy: options.policy } : {}), ...(options.tools ? { tools: options.tools } : {}) });
    if (verdict.flagged) {
      warnings.push({ code: "injection_in_args", message: `the arguments read like instructions to an assistant (${verdict.rule}, score ${verdict.score.toFixed(2)})` });
    }
  }
  const upstream = (options.detections ?? []).filter((d) => d.flagged !== false);
  if (upstream.length > 0) {
    const top = [...upstream].sort((a, b) => b.score - a.score)[0]!;
    warnings.push({
      code: "suspected_injection_upstream",
      message: `this run saw ${upstream.length} suspected prompt injection(s) before this request, the strongest in ${top.source.replace("_", " ")} ${top.source_id} (${top.rule}, score ${top.score.toFixed(2)}): check that the call is what the user asked for`,
    });
  }
  return { warnings, escaped: escapeJson(args) };
}

/** JSON with every hidden character as a `\uXXXX` escape: still valid JSON, parsing back to `value`. */
export function escapeJson(value: unknown): string {
  const json = JSON.stringify(value, null, 2) ?? "null";
  const hidden = findHidden(json);
  if (hidden.length === 0) return json;
  let out = "";
  let last = 0;
  for (const h of hidden) {
    out += json.slice(last, h.index);
    const width = h.codePoint > 0xffff ? 2 : 1;
    for (let i = 0; i < width; i++) out += `\\u${json.charCodeAt(h.index + i).toString(16).toUpperCase().padStart(4, "0")}`;
    last = h.index + width;
  }
  return out + json.slice(last);
}

function codePoints(hidden: HiddenChar[]): Record<HiddenChar["kind"], string> {
  const by: Record<HiddenChar["kind"], Set<string>> = { control: new Set(), invisible: new Set(), bidi: new Set(), tag: new Set() };
  for (const h of hidden) by[h.kind].add(`U+${h.codePoint.toString(16).toUpperCase().padStart(4, "0")}`);
  const show = (set: Set<string>) => [...set].slice(0, 4).join(", ") + (set.size > 4 ? ", ..." : "");
  return { control: show(by.control), invisible: show(by.invisible), bidi: show(by.bidi), tag: show(by.tag) };
}

/** A word made of Latin letters and Cyrillic or Greek ones (`gіthub` with a Cyrillic і). */
function mixedScriptWord(text: string): string | null {
  if (/^[\x00-\x7f]*$/.test(text)) return null;
  for (const m of text.matchAll(/[\p{L}\p{M}.-]+/gu)) {
    const word = m[0];
    if (/[A-Za-z]/.test(word) && /[\p{Script=Cyrillic}\p{Script=Greek}]/u.test(word)) return word;
  }
  return null;
}

/** All text of a tool result (MCP content blocks, JSON, strings), one string per line. */
export function toolResultText(result: unknown): string {
  return walkStrings(result)
    .map((s) => s.text)
    .join("\n");
}

/** The detector over a tool call's arguments, before it is dispatched. `source_id` is `<request_id>:input`. */
export function checkToolInput(requestId: string, args: unknown, options: { policy?: InjectionPolicy; tools?: readonly string[] } = {}): InjectionVerdict {
  return detectInjection(toolResultText(args), { source: "tool_result", source_id: `${requestId}:input`, ...options });
}

/** The detector over a tool's result, when it is delivered. */
export function checkToolResult(requestId: string, result: unknown, options: { policy?: InjectionPolicy; tools?: readonly string[] } = {}): InjectionVerdict {
  return detectInjection(typeof result === "string" ? result : toolResultText(result), { source: "tool_result", source_id: requestId, ...options });
}
