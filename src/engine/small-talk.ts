/**
 * Small talk: a message that is only a greeting, a thanks or a goodbye ("hello there", "thanks a
 * lot!", "good morning"). The offline planner answers it without searching the knowledge base (no
 * document answers "hi"), and the offline model greets back instead of listing what it found.
 * A question about the assistant itself ("what can you do?") is searched for like any other
 * question (the contract's rule), and answered with what it can do, whatever was found.
 */

/** Words that make a message small talk; every other word must come from FILLERS. */
const OPENERS = new Set(["hello", "hi", "hey", "hiya", "howdy", "greetings", "morning", "afternoon", "evening", "thanks", "thank", "thx", "cheers", "bye", "goodbye"]);
const FILLERS = new Set(["there", "all", "everyone", "good", "day", "you", "a", "lot", "so", "very", "much", "again", "and", "see", "later", "ok", "okay", "great", "nice"]);
const MAX_WORDS = 6;
/** Questions about the assistant itself, after any greeting words. */
const ABOUT = new Set([
  "help",
  "help me",
  "what can you do",
  "what can you do for me",
  "what can you help with",
  "what can you help me with",
  "how can you help",
  "how can you help me",
  "what do you do",
  "who are you",
  "what are you",
  "what can i ask",
  "what can i ask you",
]);
/** What may come before such a question: a greeting ("hi there", "good morning everyone"), not a thanks or goodbye. */
const GREETINGS = new Set(["hello", "hi", "hey", "hiya", "howdy", "greetings", "good", "morning", "afternoon", "evening", "day", "there", "all", "everyone"]);

export type SmallTalk = "greeting" | "thanks" | "goodbye";

function wordsOf(message: string): string[] {
  return message
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, " ")
    .split(/\s+/)
    .filter(Boolean);
}

/** Whether the message only asks what the assistant is or can do, after any greeting. */
export function asksAboutAssistant(message: string): boolean {
  const words = wordsOf(message);
  const asked = words.findIndex((word) => !GREETINGS.has(word));
  return asked >= 0 && ABOUT.has(words.slice(asked).join(" "));
}

export function smallTalk(message: string): SmallTalk | null {
  const words = wordsOf(message);
  if (words.length === 0 || words.length > MAX_WORDS) return null;
  if (!words.every((word) => OPENERS.has(word) || FILLERS.has(word)) || !words.some((word) => OPENERS.has(word))) return null;
  if (words.some((word) => word === "bye" || word === "goodbye")) return "goodbye";
  if (words.some((word) => word === "thanks" || word === "thank" || word === "thx" || word === "cheers")) return "thanks";
  return "greeting";
}
