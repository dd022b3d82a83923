// Retrieved chunks with their scores (a bar to scale of the best), the query, and which chunks the
// context sanitizer changed. Chunk text is evidence, not instructions: shown as text, with hidden
// characters made visible.

import { fmtMs, h } from "../dom.js";
import { visibleText } from "../visible.js";
import { section } from "./panel.js";

export class RetrievalPanel {
  constructor() {
    const { element, body } = section("Retrieved chunks", "panel-retrieval");
    this.element = element;
    this.body = body;
    this.body.append(h("p", { class: "hint", text: "No retrieval." }));
    this.rounds = [];
    this.sanitized = new Map();
    this.dirty = false;
  }

  event(e) {
    const d = e.data ?? {};
    if (e.type === "retrieval.started") this.rounds.push({ query: d.query, k: d.k, chunks: null, duration: null });
    else if (e.type === "retrieval.completed") {
      let round = this.rounds.at(-1);
      if (round === undefined || round.chunks !== null) this.rounds.push((round = { query: "", k: null, chunks: null, duration: null }));
      const texts = new Map((d.chunks ?? []).map((c) => [c.id, c]));
      round.chunks = (d.chunk_ids ?? []).map((id, i) => ({ id, score: d.scores?.[i], chunk: texts.get(id) }));
      round.duration = d.duration_ms;
    } else if (e.type === "context.sanitized") {
      for (const r of d.removed ?? []) this.sanitized.set(r.chunk_id, [...(this.sanitized.get(r.chunk_id) ?? []), r.reason]);
    } else return;
    this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const views = this.rounds.map((round) => {
      const best = Math.max(1e-9, ...(round.chunks ?? []).map((c) => c.score ?? 0));
      return h(
        "div",
        { class: "retrieval-round" },
        h("p", {}, "Query ", h("q", { text: round.query }), round.k ? ` · k=${round.k}` : "", round.duration !== null ? ` · ${fmtMs(round.duration)}` : ""),
        round.chunks === null
          ? h("p", { class: "hint", text: "retrieving…" })
          : round.chunks.length === 0
            ? h("p", { class: "hint", text: "Nothing retrieved." })
            : h(
                "ol",
                { class: "chunks" },
                round.chunks.map((c) => {
                  const removed = this.sanitized.get(c.id);
                  const title = c.chunk?.metadata?.title ?? c.chunk?.metadata?.document_id ?? "";
                  return h(
                    "li",
                    { class: removed ? "chunk sanitized" : "chunk" },
                    h(
                      "div",
                      { class: "chunk-head" },
                      h("code", { text: c.id }),
                      title ? h("span", { text: ` ${title}` }) : null,
                      h("span", { class: "score" }, h("span", { class: "score-bar", style: `width:${Math.max(2, ((c.score ?? 0) / best) * 100)}%`, "aria-hidden": "true" }), h("span", { class: "score-value", text: typeof c.score === "number" ? c.score.toFixed(3) : "?" })),
                    ),
                    removed ? h("p", { class: "guard-text", text: `Sanitized: ${removed.join("; ")}` }) : null,
                    c.chunk?.text ? h("details", {}, h("summary", { text: "Text" }), h("p", { class: "chunk-text" }, visibleText(c.chunk.text))) : null,
                  );
                }),
              ),
      );
    });
    this.body.replaceChildren(...(views.length ? views : [h("p", { class: "hint", text: "No retrieval." })]));
  }
}
