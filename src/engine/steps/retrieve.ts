/**
 * `retrieve`: fetch the top-k chunks for the message (and, in a thread, the last turn's) when the plan asks for evidence, and store
 * them (ids, scores, text, metadata) in RunState through `retrieval.completed`.
 */
import { newEvent } from "../events";
import { retrievalSpan } from "../span-attributes";
import { retrievalQuery } from "../threads/follow-up";
import type { StepContext, StepResult } from "./step";

export async function retrieve(ctx: StepContext): Promise<StepResult> {
  const state = ctx.state();
  if (state.plan?.needs_retrieval !== true) return { kind: "done" };
  const k = ctx.config.retrievalK;
  // In a thread the query carries the last turn's message, so a follow-up finds what it refers to.
  const query = retrievalQuery(state.message, state.history);
  const started = ctx.now();
  ctx.emit(newEvent("node.started", { node: "retrieval", step: ctx.step }), newEvent("retrieval.started", { query, k }));
  const span = retrievalSpan(k);
  const chunks = await ctx.span("retrieval", span.name, span.attributes, () =>
    ctx.retriever.search({ tenantId: state.tenant_id, query, k, signal: ctx.signal }),
  );
  const duration = ctx.now() - started;
  ctx.emit(
    newEvent("retrieval.completed", {
      chunk_ids: chunks.map((c) => c.id),
      scores: chunks.map((c) => c.score),
      duration_ms: duration,
      chunks,
    }),
    newEvent("node.completed", { node: "retrieval", step: ctx.step, duration_ms: duration }),
  );
  return { kind: "done" };
}
