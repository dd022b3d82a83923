/**
 * A recorded run, as a replay reads it: its events by seq (held in memory, or read from storage a
 * row at a time), and what one pass over them tells about the world the run saw: the request ids
 * it drew, the model provider, and the tools its registry offered. The replay (driver.ts) executes
 * the engine against this recorded world and compares what it writes with what was recorded.
 */
import { z } from "zod";
import type { RunEvent } from "../events";
import { parseEvent } from "../events";
import { scopeForServer } from "../tool-policy";
import type { ToolDescriptor } from "../tool-protocol";
import { splitToolName } from "../tool-protocol";

/** Events that say something about a log rather than what its run did; a replay does not reproduce them. */
export const META_EVENTS: ReadonlySet<string> = new Set(["run.imported", "replay.diverged"]);

export interface RecordedLog {
  /** The number of events. */
  readonly length: number;
  /** The event at `seq` (1-based), or null past the end. */
  event(seq: number): RunEvent | null;
}

export class ArrayRecording implements RecordedLog {
  constructor(private readonly events: readonly RunEvent[]) {}

  get length(): number {
    return this.events.length;
  }

  event(seq: number): RunEvent | null {
    return this.events[seq - 1] ?? null;
  }

  /** Parses JSON lines (an export) into a recording, checking every envelope's shape and contiguous seqs. */
  static fromJsonLines(text: string): ArrayRecording {
    const events = text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line, i) => {
        const event = parseEvent(JSON.parse(line));
        if (event.seq !== i + 1) throw new Error(`line ${i + 1} holds seq ${event.seq}: the log is not contiguous from 1`);
        return event;
      });
    return new ArrayRecording(events);
  }
}

/** What one pass over a recording learns; small, whatever the log's length. */
export const RecordingIndex = z.object({
  /** The request ids the run drew, in order. */
  request_ids: z.array(z.string()),
  /** The provider of its model calls (`offline` when it made none with another), and the model per capability. */
  provider: z.string(),
  models: z.record(z.string(), z.string()),
  /** How many chunks the run's knowledge base held when it planned (the planner asks). */
  knowledge: z.number().int(),
  /** The waits the run was configured with, as its deadlines show (null: the log does not say). */
  tool_wait_ms: z.number().int().nullable(),
  approval_ttl_ms: z.number().int().nullable(),
  /** The tools its registry offered, as far as the log shows them. */
  tools: z.array(z.record(z.string(), z.unknown())),
  /** The seq of `run.forked`, when the run is a fork: the events before it are its source's. */
  forked_at: z.number().int().nullable(),
  /** The seq of the last event a replay reproduces (meta events at the end left out). */
  last_seq: z.number().int(),
});
export type RecordingIndex = z.infer<typeof RecordingIndex>;

/**
 * Scans a recording once. The tools are those the run requested, each with what its outcome shows:
 * a tool the registry did not know is left out; one the caller lacked the scope for gets that
 * scope; one that needed approval is side-effecting (or always needs approval, as the reason says).
 */
export function indexRecording(log: RecordedLog): RecordingIndex {
  const requestIds: string[] = [];
  const tools = new Map<string, ToolDescriptor>();
  const unknown = new Set<string>();
  let provider = "offline";
  const models: Record<string, string> = {};
  let knowledge: number | null = null;
  let toolWaitMs: number | null = null;
  let approvalTtlMs: number | null = null;
  let forkedAt: number | null = null;
  let lastSeq = 0;
  let scopes: string[] = [];
  for (let seq = 1; seq <= log.length; seq++) {
    const event = log.event(seq);
    if (event === null) break;
    if (!META_EVENTS.has(event.type)) lastSeq = seq;
    switch (event.type) {
      case "run.started":
        scopes = event.data.scopes;
        break;
      case "run.forked":
        forkedAt = seq;
        break;
      case "model.started":
        models[event.data.capability] ??= event.data.model;
        break;
      case "model.completed":
        if (event.data.provider !== "offline") provider = event.data.provider;
        break;
      case "plan.created":
        knowledge ??= event.data.knowledge_chunks ?? (event.data.needs_retrieval ? 1 : 0);
        break;
      case "tool.requested": {
        requestIds.push(event.data.request_id);
        const name = event.data.tool;
        if (!tools.has(name)) {
          tools.set(name, {
            name,
            server: event.data.server,
            tool: splitToolName(name)?.tool ?? name,
            description: "",
            input_schema: { type: "object" },
            annotations: {},
            read_only: !event.data.requires_approval,
            scope: scopes.includes(scopeForServer(event.data.server)) ? scopeForServer(event.data.server) : (scopes[0] ?? "runs:write"),
            approval: "auto",
          });
        }
        break;
      }
      case "tool.dispatched":
        toolWaitMs ??= Date.parse(event.data.deadline) - Date.parse(event.ts);
        break;
      case "approval.requested": {
        approvalTtlMs ??= Date.parse(event.data.expires_at) - Date.parse(event.ts);
        const tool = tools.get(event.data.tool);
        if (tool !== undefined && event.data.reason.includes("requires approval for every call")) {
          tools.set(tool.name, { ...tool, read_only: true, approval: "always" });
        }
        break;
      }
      case "tool.denied": {
        const tool = tools.get(event.data.tool);
        if (event.data.code === "unknown_tool") unknown.add(event.data.tool);
        // Any scope the caller lacks gives the same denial; the server's own is the natural one.
        else if (event.data.code === "missing_scope" && tool !== undefined) tools.set(tool.name, { ...tool, scope: scopeForServer(tool.server) });
        break;
      }
      default:
        break;
    }
  }
  return {
    request_ids: requestIds,
    provider,
    models,
    knowledge: knowledge ?? 0,
    tool_wait_ms: toolWaitMs,
    approval_ttl_ms: approvalTtlMs,
    tools: [...tools.values()].filter((tool) => !unknown.has(tool.name)),
    forked_at: forkedAt,
    last_seq: lastSeq,
  };
}
