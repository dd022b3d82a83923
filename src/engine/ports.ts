/**
 * The engine's ports: the small interfaces through which it reaches time, randomness, models,
 * knowledge and tools. The engine imports nothing from `cloudflare:*` and never calls `fetch`; the
 * Durable Objects and workers plug adapters into these, and tests plug in-memory twins.
 */
import type { ChunkRef, HistoryEntry, StepName, ToolIntent } from "./events";
import type { RecordedVerdict } from "./guardrail-events";
import type { ToolDescriptor } from "./tool-protocol";

/** Wall-clock time in epoch milliseconds, and waiting for some of it to pass. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Identifiers and the one source of randomness (retry jitter). */
export interface Ids {
  run(): string;
  request(): string;
  span(): string;
  feedback(): string;
  /** A number in [0, 1). */
  random(): number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

/** Structured logging: one JSON line per significant action, carrying run_id, tenant_id and step. */
export interface Logger {
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** Who is acting: resolved from the API key (or dev mode). */
export interface Principal {
  tenant_id: string;
  user_id: string;
  scopes: string[];
}

// ---------------------------------------------------------------------------------------------
// Model

export type Capability = "planning" | "generation" | "verification" | "classification";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** A function tool offered to the model (the allowed tools' MCP input schemas). */
export interface ModelToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** A tool result as the respond step presents it to the model. */
export interface ToolResultView {
  request_id: string;
  tool: string;
  args: Record<string, unknown>;
  /** `unknown`: no outcome arrived before the deadline; the call may or may not have taken effect. */
  status: "completed" | "failed" | "denied" | "server_error" | "unknown";
  result?: unknown;
  error?: string;
}

/**
 * The structured facts a prompt was built from. Real models read `messages`; the deterministic
 * offline model reads this, so that its output depends only on the run's inputs and evidence.
 */
export interface Grounding {
  message: string;
  /** The earlier turns of the run's thread, oldest first: sent to a model as chat messages. */
  history?: HistoryEntry[];
  mode: "chat" | "research";
  tools: ToolDescriptor[];
  /** How many chunks the tenant's knowledge index holds. */
  knowledge_chunks: number;
  plan?: { steps: string[]; needs_retrieval: boolean; tool_intents: ToolIntent[] };
  chunks: ChunkRef[];
  tool_results: ToolResultView[];
  /** Issues found by verification, fed back when an answer is regenerated. */
  feedback: string[];
  /** The answer under verification (capability `verification`). */
  answer?: string;
}

export interface ModelRequest {
  capability: Capability;
  messages: ChatMessage[];
  tools?: ModelToolSpec[];
  /** Ask for JSON matching this schema (structured output). */
  responseFormat?: { name: string; schema: Record<string, unknown> };
  maxOutputTokens?: number;
  signal: AbortSignal;
  grounding: Grounding;
}

export interface ModelResponse {
  text: string;
  toolCalls: { name: string; arguments: Record<string, unknown> }[];
  usage: { input_tokens: number; output_tokens: number };
  finishReason: string;
  model: string;
  provider: string;
}

/**
 * A model provider. `complete` streams text deltas through `onDelta` as they arrive and resolves
 * with the whole response. Failures are thrown as `StepError` (retryable with `retryAfterMs`, or
 * terminal), classified by the adapter from the provider's status, never from message text.
 */
export interface ModelClient {
  readonly provider: string;
  /** Answers inside the object, with no I/O (the offline model): nothing leaves when a step calls it. */
  readonly inProcess?: boolean;
  /** True when every delta is already one output chunk (the offline model, a replay): it is emitted as is. */
  readonly chunked?: boolean;
  /**
   * A replay's recorded model: its chunks are the output as the output validator already left it,
   * so the validator does not judge them again; its redactions are taken from the recording
   * (`guardrail.triggered {layer: "output"}` before the chunk that carried each), since what it
   * redacted was never stored.
   */
  readonly recordedOutput?: RecordedOutputVerdicts;
  modelFor(capability: Capability): string;
  complete(request: ModelRequest, onDelta?: (text: string) => void): Promise<ModelResponse>;
}

/** The output validator's recorded redactions, handed out just before the chunk each preceded. */
export interface RecordedOutputVerdicts {
  /** The verdicts recorded before the chunk about to be delivered (or before the end). */
  take(): RecordedVerdict[];
}

// ---------------------------------------------------------------------------------------------
// Moderation

/** What a moderation service says about a text. */
export interface ModerationResult {
  flagged: boolean;
  /** The categories it flagged (`harassment`, `self-harm/intent`, ...), in the provider's names. */
  categories: string[];
  /** The highest category score, 0..1. */
  score: number;
  model: string;
  provider: string;
}

/**
 * A moderation service, one more input layer on the message. Failures are thrown as `StepError`
 * (retryable or terminal), classified by the adapter from the provider's status.
 */
export interface Moderator {
  readonly provider: string;
  moderate(input: { text: string; signal: AbortSignal }): Promise<ModerationResult>;
}

// ---------------------------------------------------------------------------------------------
// Knowledge

export interface SearchQuery {
  tenantId: string;
  query: string;
  k: number;
  signal?: AbortSignal;
}

/** Top-k retrieval over the shared documents plus the tenant's private ones. */
export interface Retriever {
  search(query: SearchQuery): Promise<ChunkRef[]>;
  /** How many chunks the tenant can see (retrieval is skipped when there are none). */
  count(tenantId: string): Promise<number>;
}

/** Turns texts into vectors. Vectors carry the embedder's id and dimension; mixing them is an error. */
export interface Embedder {
  readonly id: string;
  readonly dimensions: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

// ---------------------------------------------------------------------------------------------
// Tools

/** The tools the registry knows, for planning and for `act`'s checks. */
export interface ToolCatalog {
  /** Every registered tool visible to the tenant, whatever the caller's scopes. */
  list(tenantId: string): Promise<ToolDescriptor[]>;
}

/** A point in the workflow where tests may inject a crash (production: a no-op). */
export type ProbePoint =
  | { at: "step.started"; step: StepName; attempt: number }
  | { at: "step.completed"; step: StepName; attempt: number }
  | { at: "output.chunk"; step: StepName; attempt: number; index: number }
  | { at: "tool.dispatched"; request_id: string };

/** Hit at each point; a returned promise is awaited (a test's probe flushes storage, then crashes). */
export interface Probe {
  hit(point: ProbePoint): void | Promise<void>;
}
