/**
 * Which earlier turns a run in a thread sees (CONTRACT.md "Threads"): each completed turn's message
 * and final output, newest kept first, as many whole turns as fit in the token budget. A turn that
 * failed or was cancelled has no final answer and is not part of the conversation. Pure: the thread
 * computes it when it starts the run and hands it over in the start command, so the engine never
 * reads the thread.
 */
import type { HistoryEntry } from "../events";
import { estimateTokens } from "../model/offline";

export interface ThreadHistory {
  /** Oldest first. */
  entries: HistoryEntry[];
  tokens: number;
  /** Completed earlier turns left out because the budget was spent. */
  dropped_turns: number;
}

export const DEFAULT_HISTORY_TOKENS = 4000;

/** About how many tokens a turn costs as history: its message and its answer. */
export function turnTokens(entry: Pick<HistoryEntry, "message" | "output">): number {
  return estimateTokens(entry.message) + estimateTokens(entry.output);
}

/**
 * @param newestFirst the thread's completed earlier turns, newest first (read lazily: it stops at
 *   the first turn that does not fit)
 * @param completed how many completed earlier turns there are in all
 */
export function selectHistory(newestFirst: Iterable<HistoryEntry>, completed: number, budgetTokens: number): ThreadHistory {
  const kept: HistoryEntry[] = [];
  let tokens = 0;
  for (const entry of newestFirst) {
    const cost = turnTokens(entry);
    // Whole turns only, and contiguous from the newest: an older turn without the ones after it
    // would be a conversation that never happened.
    if (tokens + cost > budgetTokens) break;
    kept.push(entry);
    tokens += cost;
  }
  return { entries: kept.reverse(), tokens, dropped_turns: Math.max(0, completed - kept.length) };
}
