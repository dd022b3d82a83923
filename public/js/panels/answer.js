// The answer as it streams: output.chunk appends, output.reset starts the attempt over,
// output.completed and run.completed give the final text; verification and degradation beside it.
// Text only (never HTML): a link in an answer is shown as text, and hidden or bidi characters are
// shown as marks, as everywhere on this page. Streaming appends only what is new.

import { h } from "../dom.js";
import { visibleText } from "../visible.js";
import { section } from "./panel.js";

export class AnswerPanel {
  constructor() {
    const { element, body } = section("Answer", "panel-answer");
    this.element = element;
    this.text = h("div", { class: "answer", "aria-live": "off", "data-testid": "answer" });
    this.note = h("p", { class: "hint answer-note", role: "status" });
    body.append(this.text, this.note);
    this.output = "";
    this.attempt = null;
    this.notes = [];
    this.final = false;
    this.dirty = false;
    /** The text now on screen, so that a grown output appends only its new part. */
    this.shown = "";
  }

  event(e) {
    const d = e.data ?? {};
    switch (e.type) {
      case "output.chunk":
        if (this.final) return;
        if (this.attempt !== null && d.attempt !== this.attempt) this.output = "";
        this.attempt = d.attempt;
        this.output += d.text;
        break;
      case "output.reset":
        // A retry or a regeneration: the answer so far no longer counts, a new one streams.
        this.output = "";
        this.final = false;
        this.attempt = d.attempt;
        this.notes.push(`Output reset (attempt ${d.attempt}${d.cause ? `, ${d.cause}` : ""}): ${d.reason}`);
        break;
      case "output.completed":
        this.output = d.text;
        this.final = true;
        break;
      case "verification.completed":
        this.notes.push(d.passed ? "Verification passed." : `Verification failed: ${(d.issues ?? []).join("; ")}`);
        break;
      case "run.completed":
        this.output = d.output;
        this.final = true;
        if (d.degraded) this.notes.push("Degraded: the answer was given without everything it needed.");
        if (d.refused) this.notes.push("Refused by a guardrail.");
        break;
      case "run.failed":
        this.notes.push(`Run failed: ${d.error?.code}: ${d.error?.message}`);
        break;
      case "run.cancelled":
        this.notes.push(`Run cancelled by ${d.by_user_id}${d.reason ? ` (${d.reason})` : ""}.`);
        break;
      default:
        return;
    }
    this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.output.startsWith(this.shown)) {
      this.text.append(visibleText(this.output.slice(this.shown.length)));
    } else {
      this.text.replaceChildren(visibleText(this.output));
    }
    this.shown = this.output;
    this.text.classList.toggle("streaming", !this.final);
    this.text.classList.toggle("empty", this.output === "");
    this.note.textContent = this.notes.join(" ");
  }
}
