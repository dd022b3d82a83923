/**
 * The protocol between a run and the tool executor (two workers): the Queue message a run sends for
 * each tool call (and re-sends, unchanged, until its outcome arrives), the outcome the executor
 * delivers back through the run object's `deliverToolResult` RPC and how that delivery is answered,
 * and the descriptor of a tool as the registry discovers it. Both sides parse these schemas.
 */
import { z } from "zod";
import { ApprovalPolicy, ErrorInfo } from "./events";

/** A tool descriptor: what `GET /tools` lists and what the planner may offer. */
export const ToolDescriptor = z.object({
  /** Qualified name, `server.tool`. */
  name: z.string(),
  server: z.string(),
  /** The tool's own name on its MCP server. */
  tool: z.string(),
  description: z.string(),
  input_schema: z.record(z.string(), z.unknown()),
  annotations: z
    .object({
      title: z.string().optional(),
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional(),
    })
    .default({}),
  /** True when the tool has no side effects (MCP `readOnlyHint`); only these are cached. */
  read_only: z.boolean(),
  /** The scope a caller needs to use it (`runs:write` for the built-in local servers). */
  scope: z.string(),
  /** Server approval policy: `auto` follows the run's option; `always` needs approval regardless. */
  approval: z.enum(["auto", "always"]).default("auto"),
});
export type ToolDescriptor = z.infer<typeof ToolDescriptor>;

/** The Queue message for one tool call. `request_id` makes every hop idempotent. */
export const ToolRequestMessage = z.object({
  v: z.literal(1),
  request_id: z.string().min(1),
  run_id: z.string().min(1),
  tenant_id: z.string().min(1),
  user_id: z.string().min(1),
  scopes: z.array(z.string()),
  /** Qualified tool name, `server.tool`. */
  tool: z.string().min(1),
  server: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
  /** 1-based position of this call among the run's tool calls (for the per-run call limit). */
  call_index: z.number().int().positive(),
  /** The run's approval policy (`options.approval`): the executor re-checks approval against it. */
  approval: ApprovalPolicy,
  /** True when a human approved this call (side-effecting tools under `auto`, all under `always`). */
  approved: z.boolean(),
  requested_at: z.string(),
  /** After this instant the run no longer waits for the result: do not start the call. */
  deadline_at: z.string(),
});
export type ToolRequestMessage = z.infer<typeof ToolRequestMessage>;

/** A span the executor recorded for the call; the run stores it in its trace. */
export const ToolCallSpan = z.object({
  name: z.string(),
  start: z.string(),
  end: z.string(),
  status: z.enum(["ok", "error"]),
  attributes: z.record(z.string(), z.unknown()).default({}),
});
export type ToolCallSpan = z.infer<typeof ToolCallSpan>;

const OutcomeBase = { request_id: z.string().min(1), span: ToolCallSpan.optional() };

/** What the executor delivers back to the run (idempotent on `request_id`). */
export const ToolOutcome = z.discriminatedUnion("status", [
  z.object({
    ...OutcomeBase,
    status: z.literal("completed"),
    result: z.unknown(),
    cached: z.boolean(),
    duration_ms: z.number().min(0),
  }),
  z.object({ ...OutcomeBase, status: z.literal("failed"), error: ErrorInfo, retryable: z.boolean() }),
  z.object({ ...OutcomeBase, status: z.literal("denied"), reason: z.string() }),
  z.object({ ...OutcomeBase, status: z.literal("server_error"), server: z.string(), error: ErrorInfo }),
]);
export type ToolOutcome = z.infer<typeof ToolOutcome>;

/**
 * How the run object answered a delivery. Every answer is final (the executor stops redelivering):
 * - `recorded`: appended as the request's outcome;
 * - `duplicate`: the request already had an outcome (a redelivery): nothing appended;
 * - `late`: the run stopped waiting for it (timed out, cancelled, ended): nothing appended;
 * - `unknown`: no such request in this run (or no such run), which no redelivery can change.
 * Only a delivery that gets no answer (the call threw) is tried again.
 */
export const DeliveryStatus = z.enum(["recorded", "duplicate", "late", "unknown"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;
export const DeliveryResult = z.object({ status: DeliveryStatus });
export type DeliveryResult = z.infer<typeof DeliveryResult>;

/** Splits `server.tool` into its parts; `null` when it is not qualified. */
export function splitToolName(name: string): { server: string; tool: string } | null {
  const dot = name.indexOf(".");
  if (dot <= 0 || dot === name.length - 1) return null;
  return { server: name.slice(0, dot), tool: name.slice(dot + 1) };
}
