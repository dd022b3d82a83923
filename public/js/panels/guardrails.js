// Guardrail interventions (guardrail.triggered, injection.detected, context.sanitized), listed and
// highlighted, with the verdict RunState keeps. Richer views (the text each layer saw) come with the
// safety work.

import { h } from "../dom.js";
import { GUARDRAIL, summarize } from "../event-types.js";
import { section } from "./panel.js";

export class GuardrailsPanel {
  constructor() {
    const { element, body } = section("Guardrails", "panel-guardrails");
    this.element = element;
    this.status = h("p", { class: "hint", text: "No guardrail intervened." });
    this.list = h("ul", { class: "guardrail-list" });
    body.append(this.status, this.list);
    this.pending = [];
    this.count = 0;
  }

  event(e) {
    if (GUARDRAIL.has(e.type)) this.pending.push(e);
  }

  /** The RunState verdict, from the state panel's read. */
  state(runState) {
    const g = runState?.guardrail;
    if (!g || (g.status === "ok" && this.count === 0)) return;
    this.status.textContent = `Verdict: ${g.status}${g.layer ? ` (${g.layer})` : ""}${g.reason ? `: ${g.reason}` : ""}`;
    this.status.className = g.status === "ok" ? "hint" : "guard-text";
  }

  render() {
    if (this.pending.length === 0) return;
    for (const e of this.pending) {
      this.list.append(h("li", { class: "guard-item" }, h("span", { class: "badge guard", text: e.type }), " ", h("span", { text: summarize(e) }), h("span", { class: "hint", text: ` #${e.seq}` })));
    }
    this.count += this.pending.length;
    this.pending = [];
    if (this.status.className === "hint") this.status.textContent = `${this.count} intervention(s).`;
  }
}
