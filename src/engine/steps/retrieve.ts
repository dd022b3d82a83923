/**
 * `retrieve`: fetch the top-k chunks for the message (and, in a thread, the last turn's) when the plan asks for evidence, and store
 * them (ids, scores, text, metadata) in RunState through `retrieval.completed`.
 *
 * Evidence is data, never instructions: every chunk then passes the context sanitizer (a
 * `guardrail` span), which emits `injection.detected` for each flagged chunk, a `guardrail.triggered
 * {layer: "context"}` for what the policy did with it, and `context.sanitized` with the text each
 * changed chunk shows from then on. The log keeps the chunks as retrieved; the prompts read the
 * sanitized texts from RunState. The plan is made before retrieval, so evidence cannot change it.
 */
import { newEvent } from "../events";
import { retrievalSpan } from "../span-attributes";
import { retrievalQuery } from "../threads/follow-up";
import { contextVerdict, detectedEvent, guardSpanAttributes, sanitizedEvent, triggeredEvent } from "../guardrail-events";
import { ANY_TOOL, sanitizeContext } from "../guardrails/index";
import { consultCatalog } from "./consult-catalog";
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
  const [chunks, catalog] = await Promise.all([
    ctx.span("retrieval", span.name, span.attributes, () => ctx.retriever.search({ tenantId: state.tenant_id, query, k, signal: ctx.signal })),
    consultCatalog(ctx, state.tenant_id),
  ]);
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
  if (chunks.length === 0) return { kind: "done" };

  const policy = ctx.config.guardrails.policy.injection;
  await ctx.span("guardrail", "guardrail context", guardSpanAttributes("context", { chunks: chunks.length }), async (spanId) => {
    const screened = sanitizeContext(
      chunks.map((chunk) => ({ id: chunk.id, kind: "chunk" as const, text: chunk.text })),
      // An unknown catalogue fails closed: any `server.tool` name in an imperative counts.
      { policy, tools: catalog === null ? [ANY_TOOL] : catalog.map((tool) => tool.name) },
    );
    const flagged = screened.items.filter((item) => item.detection.flagged);
    const sanitized = sanitizedEvent(screened.items, spanId);
    const events = [
      ...flagged.flatMap((item) => [detectedEvent(item.detection, spanId), triggeredEvent(contextVerdict(item), spanId)]),
      ...(sanitized === null ? [] : [sanitized]),
    ];
    if (events.length > 0) ctx.emit(...events);
  });
  return { kind: "done" };
}
