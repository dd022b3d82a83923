/**
 * The deterministic planner (CONTRACT.md "Built-in tools and the offline planner"): with no model
 * configured, the same message always gives the same plan. The rules look only at the message (and,
 * in a thread, at the earlier turns, for follow-ups: threads/follow-up.ts), so a tool the caller
 * may not use is still planned and then visibly denied by `act`.
 */
import type { HistoryEntry, Mode, ToolIntent } from "./events";
import { smallTalk } from "./small-talk";
import { continuedExpression, recallFromHistory } from "./threads/follow-up";

export interface Plan {
  steps: string[];
  needs_retrieval: boolean;
  tool_intents: ToolIntent[];
  /** Why, in words, for `decision.made`. */
  decisions: { decision: string; reason: string }[];
}

const REMEMBER = /^remember:/i;
const GITHUB_REPO = /github\.com\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9_.-]+)/i;
const EXPRESSION_RUN = /[0-9.+\-*/^()\s]+/g;

/** The longest arithmetic expression in the text: numbers with operators or parentheses. */
export function findExpression(text: string): string | null {
  let best: string | null = null;
  for (const match of text.matchAll(EXPRESSION_RUN)) {
    const candidate = trimExpression(match[0]);
    if (candidate !== null && (best === null || candidate.length > best.length)) best = candidate;
  }
  return best;
}

const LEADING_JUNK = new Set(["+", "*", "/", "^", ")", ".", " ", "\t", "\n", "\r"]);
const TRAILING_JUNK = new Set(["+", "-", "*", "/", "^", "(", ".", " ", "\t", "\n", "\r"]);

/**
 * Trims a run of expression characters to an expression, or null. Written as index scans, not
 * regular expressions with open-ended quantifiers, so that a 32,000-character message of
 * operators cannot make it backtrack for seconds.
 */
function trimExpression(run: string): string | null {
  let start = 0;
  let end = run.length;
  while (start < end && LEADING_JUNK.has(run[start] ?? "")) start++;
  while (end > start && TRAILING_JUNK.has(run[end - 1] ?? "")) end--;
  // Balance parentheses the run cut through ("(12 * 3" from "(12 * 3 apples)").
  let depth = 0;
  for (let i = start; i < end; i++) depth += run[i] === "(" ? 1 : run[i] === ")" ? -1 : 0;
  while (depth > 0 && start < end && run[start] === "(") {
    start++;
    while (start < end && /\s/.test(run[start] ?? "")) start++;
    depth--;
  }
  if (depth !== 0 || start >= end) return null;
  const expr = run.slice(start, end).replace(/\s+/g, " ");
  return isArithmetic(expr) ? expr : null;
}

/** Numbers with a binary operator between operands, or a parenthesised number. One pass. */
function isArithmetic(expr: string): boolean {
  let numbers = 0;
  let binary = false;
  let parenthesised = false;
  let previous: "operand" | "operator" | "open" | "none" = "none";
  for (let i = 0; i < expr.length; i++) {
    const char = expr[i] ?? "";
    if ((char >= "0" && char <= "9") || char === ".") {
      let j = i;
      while (j < expr.length && /[0-9.]/.test(expr[j] ?? "")) j++;
      if (/\d/.test(expr.slice(i, j))) {
        numbers++;
        if (previous === "operator") binary = true;
        if (previous === "open") parenthesised = true;
      }
      previous = "operand";
      i = j - 1;
    } else if ("+-*/^".includes(char)) {
      if (previous === "operand" || previous === "operator") previous = "operator";
    } else if (char === "(") {
      previous = previous === "operator" ? "operator" : "open";
    } else if (char === ")") {
      previous = "operand";
    }
  }
  return numbers > 0 && (binary || parenthesised);
}

function noteTitle(text: string): string {
  const firstLine = text.split("\n")[0] ?? text;
  const words = firstLine.split(/\s+/).filter(Boolean).slice(0, 8).join(" ");
  return words.length <= 60 ? words : `${words.slice(0, 59)}…`;
}

export interface PlanningFacts {
  message: string;
  mode: Mode;
  /** Chunks the tenant's knowledge index holds. */
  knowledgeChunks: number;
  /** The earlier turns of the run's thread, oldest first (none outside a thread). */
  history?: readonly HistoryEntry[];
}

export function planOffline({ message, mode, knowledgeChunks, history = [] }: PlanningFacts): Plan {
  const text = message.trim();
  const decisions: Plan["decisions"] = [];
  const intents: ToolIntent[] = [];
  // A question about the conversation itself is answered from the history: no tool, no retrieval.
  const recall = recallFromHistory(text, history);

  if (REMEMBER.test(text)) {
    const note = text.replace(REMEMBER, "").trim();
    intents.push({ tool: "notes.save", args: { title: noteTitle(note), text: note } });
    decisions.push({ decision: "use notes.save", reason: "the message begins with “remember:”" });
  } else {
    const repo = GITHUB_REPO.exec(text);
    const withoutUrls = text.replace(/(?:https?:\/\/)?(?:www\.)?github\.com\/[^\s]*/gi, " ");
    const expression = findExpression(withoutUrls);
    const continued = expression === null ? continuedExpression(text, history) : null;
    if (expression !== null) {
      intents.push({ tool: "calculator.evaluate", args: { expression } });
      decisions.push({ decision: "use calculator.evaluate", reason: `the message contains the arithmetic expression “${expression}”` });
    } else if (continued !== null) {
      intents.push({ tool: "calculator.evaluate", args: { expression: continued.expression } });
      decisions.push({
        decision: "use calculator.evaluate",
        reason: `the message continues the result ${continued.previous} of turn ${continued.turn}: “${continued.expression}”`,
      });
    }
    if (repo !== null) {
      const owner = repo[1] ?? "";
      const name = (repo[2] ?? "").replace(/\.git$/i, "").replace(/[.]+$/, "");
      intents.push({ tool: "github.get_repo", args: { owner, repo: name } });
      decisions.push({ decision: "use github.get_repo", reason: `the message names the repository github.com/${owner}/${name}` });
    }
  }

  const chat = intents.length === 0 && recall === null ? smallTalk(text) : null;
  const needsRetrieval = mode === "research" || (intents.length === 0 && recall === null && chat === null && knowledgeChunks > 0);
  if (recall !== null) {
    decisions.push({
      decision: "answer from the conversation",
      reason:
        recall.kind === "remembered"
          ? `the message asks what turn ${recall.turn} asked to remember`
          : `the message asks about the previous message (turn ${recall.turn})`,
    });
  }
  if (needsRetrieval) {
    decisions.push({
      decision: "retrieve from the knowledge base",
      reason: mode === "research" ? "research mode always retrieves" : `the knowledge base holds ${knowledgeChunks} chunks`,
    });
  } else {
    decisions.push({
      decision: "skip retrieval",
      reason:
        intents.length > 0
          ? "the message is answered by a tool"
          : recall !== null
            ? "the conversation answers it"
            : chat !== null && knowledgeChunks > 0
              ? `the message is small talk (${chat})`
              : "the knowledge base is empty",
    });
  }
  if (intents.length === 0 && recall === null) decisions.unshift({ decision: "use no tool", reason: "no planner rule matched the message" });

  const steps = [
    ...intents.map((intent) => `call ${intent.tool}`),
    ...(needsRetrieval ? ["retrieve evidence"] : []),
    "compose the answer",
  ];
  return { steps, needs_retrieval: needsRetrieval, tool_intents: intents, decisions };
}
