// The run's trace as a waterfall drawn to scale (GET /runs/{id}/spans): one row per span in tree
// order, indented under its parent, its bar placed and sized by its start and duration on the
// run's time axis. Kinds (run, step, model, retrieval, tool, guardrail, wait, retry) have their own
// colour, errors are red, spans still running are hatched and reach "now".

import { fmtMs, h, pretty } from "../dom.js";
import { ReadingPanel, section } from "./panel.js";

const TICKS = 5;

/** Spans in tree order (each parent before its children, siblings by start), with their depth. */
export function treeOrder(spans) {
  const byParent = new Map();
  const ids = new Set(spans.map((s) => s.span_id));
  for (const span of spans) {
    const parent = span.parent_span_id && ids.has(span.parent_span_id) ? span.parent_span_id : null;
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(span);
  }
  for (const list of byParent.values()) list.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const out = [];
  const visit = (parent, depth) => {
    for (const span of byParent.get(parent) ?? []) {
      out.push({ span, depth });
      visit(span.span_id, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

export class WaterfallPanel extends ReadingPanel {
  constructor({ api, runId }) {
    super(1500);
    this.api = api;
    this.runId = runId;
    const reload = h("button", { type: "button", class: "secondary small", text: "Reload" });
    const { element, body } = section("Trace waterfall", "panel-waterfall", reload);
    this.element = element;
    this.body = body;
    this.body.append(h("p", { class: "hint", text: "Loading spans…" }));
    reload.addEventListener("click", () => this.refresh());
    this.refresh();
  }

  async load() {
    try {
      const { spans } = await this.api.get(`/runs/${encodeURIComponent(this.runId)}/spans`);
      this.draw(spans);
    } catch (error) {
      this.body.replaceChildren(h("p", { class: "error-text", text: `${error.code}: ${error.message}` }));
    }
  }

  draw(spans) {
    if (spans.length === 0) {
      this.body.replaceChildren(h("p", { class: "hint", text: "No spans yet." }));
      return;
    }
    const now = Date.now();
    const startOf = (s) => Date.parse(s.start);
    const endOf = (s) => (s.end ? Date.parse(s.end) : Math.max(now, startOf(s)));
    const t0 = Math.min(...spans.map(startOf));
    const t1 = Math.max(...spans.map(endOf));
    const total = Math.max(1, t1 - t0);
    const pct = (ms) => `${((ms / total) * 100).toFixed(3)}%`;

    const axis = h("div", { class: "wf-axis", "aria-hidden": "true" });
    for (let i = 0; i <= TICKS; i++) {
      axis.append(h("span", { class: "wf-tick", style: `left:${(i / TICKS) * 100}%`, text: fmtMs((total * i) / TICKS) }));
    }
    const rows = treeOrder(spans).map(({ span, depth }) => {
      const start = startOf(span) - t0;
      const duration = endOf(span) - startOf(span);
      const running = !span.end || span.status === "running";
      const label = `${span.name}: ${running ? "running, " : ""}${fmtMs(span.duration_ms ?? duration)}, starts at +${fmtMs(start)}${span.status === "error" ? ", error" : ""}`;
      const bar = h("div", {
        class: `wf-bar kind-${span.kind}${span.status === "error" ? " error" : ""}${running ? " running" : ""}`,
        style: `left:${pct(start)};width:max(2px, ${pct(duration)})`,
        title: `${label}\n${pretty(span.attributes ?? {})}`,
      });
      return h(
        "li",
        { class: "wf-row", "data-kind": span.kind, "data-span-id": span.span_id, "aria-label": label },
        h("span", { class: "wf-label", style: `padding-left:${depth * 0.9}rem` }, h("span", { class: `wf-kind kind-${span.kind}`, text: span.kind }), " ", h("span", { class: "wf-name", text: span.name })),
        h("span", { class: "wf-track" }, bar),
        h("span", { class: "wf-dur", text: fmtMs(span.duration_ms ?? duration) }),
      );
    });
    this.body.replaceChildren(
      h("p", { class: "hint", text: `${spans.length} spans over ${fmtMs(total)}` }),
      h("div", { class: "wf" }, h("div", { class: "wf-head" }, h("span", { class: "wf-label", text: "Span" }), axis, h("span", { class: "wf-dur", text: "Took" })), h("ol", { class: "wf-rows", "data-testid": "waterfall" }, rows)),
    );
  }
}
