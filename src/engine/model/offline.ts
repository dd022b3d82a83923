/**
 * The deterministic offline model: what runs when no model is configured. It writes the answer
 * from the run's grounding alone (tool results, retrieved evidence cited by chunk id, denials, and
 * in a thread what the conversation already said: threads/follow-up.ts), so
 * the same message, evidence and tool results give byte-identical output, and it streams that
 * answer word by word like a real model would.
 */
import { StepError } from "../errors";
import type { Capability, Grounding, ModelClient, ModelRequest, ModelResponse, ToolResultView } from "../ports";
import { asksAboutAssistant, smallTalk } from "../small-talk";
import type { SmallTalk } from "../small-talk";
import { recallFromHistory, recallSentence } from "../threads/follow-up";
import { pickEvidence } from "./offline-evidence";
import { chunkText } from "./output-chunks";
import { describeToolResult } from "./tool-result-text";

export const OFFLINE_MODEL = "offline-1";

/** Rough token count (about four characters a token), for usage and budgets. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function toolSentence(view: ToolResultView): string {
  switch (view.status) {
    case "completed":
      return describeToolResult(view.tool, view.args, view.result);
    case "denied":
      return `I did not use ${view.tool}: ${view.error ?? "the call was denied"}.`;
    case "unknown":
      // The call went out and no outcome came back: it may have taken effect. Never say it did not.
      return `I could not confirm whether ${view.tool} went through: no answer arrived in time, so it may or may not have taken effect.`;
    case "failed":
    case "server_error":
      return `I could not get a result from ${view.tool}: ${view.error ?? "the call failed"}.`;
  }
}

/**
 * What the offline model can do, said so that the run's own verifier finds nothing to flag in it:
 * no example numbers, quotes or placeholder names, which would be claims no evidence supports.
 */
const ABILITIES =
  "I am running offline, so I can evaluate arithmetic you type, remember a note when your message begins with remember:, " +
  "look up a public repository when you name it as github.com/owner/repo, or answer from the documents in the knowledge base.";

const SMALL_TALK_ANSWERS: Record<SmallTalk, string> = {
  greeting: `Hello! ${ABILITIES}`,
  thanks: "You're welcome.",
  goodbye: "Goodbye!",
};

/** The answer, composed from the grounding. Pure. */
export function composeAnswer(grounding: Grounding): string {
  const parts = grounding.tool_results.map(toolSentence);
  const recall = recallFromHistory(grounding.message, grounding.history ?? []);
  if (recall !== null) parts.unshift(recallSentence(recall));
  // Asked what it can do, it says so, rather than quote a document that happens to say "help".
  if (parts.length === 0 && asksAboutAssistant(grounding.message)) return ABILITIES;
  const picks = pickEvidence(grounding.message, grounding.chunks);
  if (picks.length > 0) {
    const evidence = picks.map(({ chunk, sentences }) => {
      const title = typeof chunk.metadata.title === "string" ? `${chunk.metadata.title}: ` : "";
      return `- ${title}${sentences.join(" ")} [chunk:${chunk.id}]`;
    });
    parts.push(`From the knowledge base:\n${evidence.join("\n")}`);
  }
  const chat = parts.length === 0 && grounding.chunks.length === 0 ? smallTalk(grounding.message) : null;
  if (chat !== null) return SMALL_TALK_ANSWERS[chat];
  if (parts.length === 0) {
    const looked = grounding.chunks.length > 0 ? " I searched the knowledge base, but nothing in it speaks to that." : "";
    return (
      `I have no tool result or document that answers “${grounding.message.trim().slice(0, 200)}”.${looked} ${ABILITIES}`
    );
  }
  return parts.join("\n\n");
}

export class OfflineModel implements ModelClient {
  readonly provider = "offline";
  readonly chunked = true;
  readonly inProcess = true;

  modelFor(_capability: Capability): string {
    return OFFLINE_MODEL;
  }

  async complete(request: ModelRequest, onDelta?: (text: string) => void): Promise<ModelResponse> {
    if (request.capability !== "generation") {
      throw StepError.terminal("model_unsupported", `the offline model does not do ${request.capability}`);
    }
    const text = composeAnswer(request.grounding);
    for (const chunk of chunkText(text)) {
      if (request.signal.aborted) throw request.signal.reason;
      onDelta?.(chunk);
    }
    const prompt = request.messages.map((m) => m.content).join("\n");
    return {
      text,
      toolCalls: [],
      usage: { input_tokens: estimateTokens(prompt), output_tokens: estimateTokens(text) },
      finishReason: "stop",
      model: OFFLINE_MODEL,
      provider: this.provider,
    };
  }
}
