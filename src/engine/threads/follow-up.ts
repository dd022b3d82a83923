/**
 * Follow-ups that only make sense after an earlier turn, as the deterministic offline model reads
 * them (CONTRACT.md "Threads"): arithmetic on the previous result ("and times 2?" after an answer
 * "… = 84." is `84 * 2`) and recalling what was said ("what did I ask you to remember?"). Also the
 * retrieval query of a run in a thread, which carries the last turn's message so that "and how long
 * does it take?" still finds the documents the conversation is about. Pure and deterministic.
 */
import type { HistoryEntry } from "../events";

const NUMBER = String.raw`-?\d+(?:\.\d+)?`;

/** Operator words and symbols, and the operator each means. Longest phrases first. */
const OPERATORS: [string, string][] = [
  ["multiplied by", "*"],
  ["to the power of", "^"],
  ["divided by", "/"],
  ["times", "*"],
  ["plus", "+"],
  ["minus", "-"],
  ["over", "/"],
  ["x", "*"],
  ["*", "*"],
  ["+", "+"],
  ["-", "-"],
  ["/", "/"],
  ["^", "^"],
];

const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\/]/g, "\\$&");
const OPERATOR_PATTERN = OPERATORS.map(([phrase]) => escape(phrase).replace(/ /g, "\\s+")).join("|");
/** "and times 2?", "then divided by 4", "what about plus 10?", "* 3" — a whole message, nothing else. */
const CONTINUATION = new RegExp(
  String.raw`^(?:(?:and|then|now|so|ok|okay)[\s,]+)*(?:(?:what\s+about|how\s+about)\s+)?(?:(?:that|it)\s+)?(${OPERATOR_PATTERN})\s*(${NUMBER})\s*[?.!]*$`,
  "i",
);
/** "double it", "and halve that?", "square it". */
const VERB_CONTINUATION = /^(?:(?:and|then|now|so)[\s,]+)*(double|halve|square)\s+(?:it|that|the\s+result)\s*[?.!]*$/i;
const VERBS: Record<string, [string, string]> = { double: ["*", "2"], halve: ["/", "2"], square: ["^", "2"] };

/** The value an answer ended on: the number after its last `=` ("12 * (3 + 4) = 84." → "84"). */
export function resultOf(output: string): string | null {
  const matches = [...output.matchAll(new RegExp(String.raw`=\s*(${NUMBER})(?=\.?(?:\s|$))`, "g"))];
  return matches.at(-1)?.[1] ?? null;
}

export interface Continuation {
  expression: string;
  /** The turn whose result it continues. */
  turn: number;
  previous: string;
}

/** The expression a follow-up such as "and times 2?" means, continuing the previous turn's result. */
export function continuedExpression(message: string, history: readonly HistoryEntry[]): Continuation | null {
  const last = history.at(-1);
  if (last === undefined) return null;
  const previous = resultOf(last.output);
  if (previous === null) return null;
  const text = message.trim().replace(/\s+/g, " ");
  const verb = VERB_CONTINUATION.exec(text);
  let operator: string | undefined;
  let operand: string | undefined;
  if (verb !== null) {
    [operator, operand] = VERBS[(verb[1] ?? "").toLowerCase()] ?? [];
  } else {
    const match = CONTINUATION.exec(text);
    if (match === null) return null;
    const phrase = (match[1] ?? "").toLowerCase().replace(/\s+/g, " ");
    operator = OPERATORS.find(([p]) => p === phrase)?.[1];
    operand = match[2];
  }
  if (operator === undefined || operand === undefined) return null;
  // A negative operand keeps its parentheses so that `84 - -2` reads as it was meant.
  const right = operand.startsWith("-") ? `(${operand})` : operand;
  const left = previous.startsWith("-") ? `(${previous})` : previous;
  return { expression: `${left} ${operator} ${right}`, turn: last.turn, previous };
}

const REMEMBER = /^remember:/i;
const ASKED_TO_REMEMBER = /\bwhat\s+(?:did|have)\s+i\s+(?:ask(?:ed)?|tell|told)\s+you\s+to\s+remember\b|\bwhat\s+(?:should|must)\s+you\s+remember\b/i;
const PREVIOUS_MESSAGE =
  /\bwhat\s+(?:did|have)\s+i\s+(?:just\s+)?(?:ask(?:ed)?|say|said|tell|told)(?:\s+you)?(?:\s+(?:before|earlier|last|just\s+now))?\s*[?.!]*$|\bwhat\s+(?:was|is)\s+my\s+(?:last|previous)\s+(?:question|message)\b/i;

export interface Recall {
  kind: "remembered" | "previous";
  /** The text recalled, verbatim. */
  text: string;
  turn: number;
}

/** A question about the conversation itself, answered from its history. */
export function recallFromHistory(message: string, history: readonly HistoryEntry[]): Recall | null {
  const text = message.trim();
  // "remember: …" is a new note, whatever it says (the planner's rule for it wins over all others).
  if (history.length === 0 || REMEMBER.test(text)) return null;
  if (ASKED_TO_REMEMBER.test(text)) {
    const remembered = [...history].reverse().find((entry) => REMEMBER.test(entry.message.trim()));
    if (remembered === undefined) return null;
    return { kind: "remembered", text: remembered.message.trim().replace(REMEMBER, "").trim(), turn: remembered.turn };
  }
  if (PREVIOUS_MESSAGE.test(text)) {
    const last = history.at(-1);
    return last === undefined ? null : { kind: "previous", text: last.message.trim(), turn: last.turn };
  }
  return null;
}

/** The answer to a recall question, phrased deterministically. */
export function recallSentence(recall: Recall): string {
  return recall.kind === "remembered"
    ? `You asked me to remember: “${recall.text}”.`
    : `Your previous message was: “${recall.text}”.`;
}

/** The retrieval query of a run: its message, after the last turn's message when it is in a thread. */
export function retrievalQuery(message: string, history: readonly HistoryEntry[]): string {
  const last = history.at(-1);
  return last === undefined ? message : `${last.message}\n${message}`;
}
