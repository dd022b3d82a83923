/**
 * Small talk: a message that is only a greeting, a thanks or a goodbye ("hello there", "thanks a
 * lot!", "good morning"). The offline planner answers it without searching the knowledge base (no
 * document answers "hi"), and the offline model greets back instead of listing what it found.
 */

/** Words that make a message small talk; every other word must come from FILLERS. */
const OPENERS = new Set(["hello", "hi", "hey", "hiya", "howdy", "greetings", "morning", "afternoon", "evening", "thanks", "thank", "thx", "cheers", "bye", "goodbye"]);
const FILLERS = new Set(["there", "all", "everyone", "good", "day", "you", "a", "lot", "so", "very", "much", "again", "and", "see", "later", "ok", "okay", "great", "nice"]);
const MAX_WORDS = 6;

export type SmallTalk = "greeting" | "thanks" | "goodbye";

export function smallTalk(message: string): SmallTalk | null {
  const words = message
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, " ")
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0 || words.length > MAX_WORDS) return null;
  if (!words.every((word) => OPENERS.has(word) || FILLERS.has(word)) || !words.some((word) => OPENERS.has(word))) return null;
  if (words.some((word) => word === "bye" || word === "goodbye")) return "goodbye";
  if (words.some((word) => word === "thanks" || word === "thank" || word === "thx" || word === "cheers")) return "thanks";
  return "greeting";
}
