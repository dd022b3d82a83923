/**
 * The deterministic planner (CONTRACT.md "Built-in tools and the offline planner"): with no model
 * configured, the same message always gives the same plan. The rules look only at the message, so
 * a tool the caller may not use is still planned and then visibly denied by `act`.
 */
import type { Mode, ToolIntent } from "./events";

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

function trimExpression(run: string): string | null {
  // Drop what cannot start or end an expression (a sentence's full stop, a dangling operator).
  let expr = run.trim().replace(/^[+*/^)\s.]+/, "").replace(/[+\-*/^(\s.]+$/, "");
  // Balance parentheses the run cut through ("(12 * 3" from "(12 * 3 apples)").
  let depth = 0;
  for (const char of expr) depth += char === "(" ? 1 : char === ")" ? -1 : 0;
  while (depth > 0 && expr.startsWith("(")) {
    expr = expr.slice(1).trimStart();
    depth -= 1;
  }
  if (depth !== 0) return null;
  const numbers = expr.match(/\d+(?:\.\d+)?|\.\d+/g) ?? [];
  const binary = /(\d|\))\s*[+\-*/^]\s*[-(]*\s*(\d|\.)/.test(expr);
  const parenthesised = /\(\s*-?\s*[\d.]/.test(expr);
  if (numbers.length === 0 || !(binary || (parenthesised && numbers.length >= 1))) return null;
  return expr.replace(/\s+/g, " ");
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
}

export function planOffline({ message, mode, knowledgeChunks }: PlanningFacts): Plan {
  const text = message.trim();
  const decisions: Plan["decisions"] = [];
  const intents: ToolIntent[] = [];

  if (REMEMBER.test(text)) {
    const note = text.replace(REMEMBER, "").trim();
    intents.push({ tool: "notes.save", args: { title: noteTitle(note), text: note } });
    decisions.push({ decision: "use notes.save", reason: "the message begins with “remember:”" });
  } else {
    const repo = GITHUB_REPO.exec(text);
    const withoutUrls = text.replace(/\S*github\.com\/\S*/gi, " ");
    const expression = findExpression(withoutUrls);
    if (expression !== null) {
      intents.push({ tool: "calculator.evaluate", args: { expression } });
      decisions.push({ decision: "use calculator.evaluate", reason: `the message contains the arithmetic expression “${expression}”` });
    }
    if (repo !== null) {
      const owner = repo[1] ?? "";
      const name = (repo[2] ?? "").replace(/\.git$/i, "").replace(/[.]+$/, "");
      intents.push({ tool: "github.get_repo", args: { owner, repo: name } });
      decisions.push({ decision: "use github.get_repo", reason: `the message names the repository github.com/${owner}/${name}` });
    }
  }

  const needsRetrieval = mode === "research" || (intents.length === 0 && knowledgeChunks > 0);
  if (needsRetrieval) {
    decisions.push({
      decision: "retrieve from the knowledge base",
      reason: mode === "research" ? "research mode always retrieves" : `the knowledge base holds ${knowledgeChunks} chunks`,
    });
  } else {
    decisions.push({
      decision: "skip retrieval",
      reason: intents.length > 0 ? "the message is answered by a tool" : "the knowledge base is empty",
    });
  }
  if (intents.length === 0) decisions.unshift({ decision: "use no tool", reason: "no planner rule matched the message" });

  const steps = [
    ...intents.map((intent) => `call ${intent.tool}`),
    ...(needsRetrieval ? ["retrieve evidence"] : []),
    "compose the answer",
  ];
  return { steps, needs_retrieval: needsRetrieval, tool_intents: intents, decisions };
}
