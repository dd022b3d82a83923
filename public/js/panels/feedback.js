// Thumbs up or down with an optional comment (POST /feedback), and the feedback already recorded
// (feedback.recorded events, which may follow the run's end).

import { h } from "../dom.js";
import { section } from "./panel.js";

const SHOWN = 10;

export class FeedbackPanel {
  constructor({ api, runId, afterSend }) {
    const { element, body } = section("Feedback", "panel-feedback");
    this.element = element;
    let rating = null;
    const up = h("button", { type: "button", class: "thumb", "aria-pressed": "false", text: "Thumbs up" });
    const down = h("button", { type: "button", class: "thumb", "aria-pressed": "false", text: "Thumbs down" });
    const pick = (value) => {
      rating = value;
      up.setAttribute("aria-pressed", String(value === "up"));
      down.setAttribute("aria-pressed", String(value === "down"));
      send.disabled = false;
    };
    up.addEventListener("click", () => pick("up"));
    down.addEventListener("click", () => pick("down"));
    const commentId = `comment-${runId}`;
    const comment = h("textarea", { id: commentId, rows: "2", maxlength: "4000" });
    const send = h("button", { type: "submit", text: "Send feedback", disabled: true });
    const status = h("p", { class: "hint", role: "status" });
    const form = h(
      "form",
      { class: "stack" },
      h("div", { class: "row", role: "group", "aria-label": "Rating" }, up, down),
      h("label", { for: commentId, text: "Comment (optional)" }),
      comment,
      h("div", { class: "row" }, send),
      status,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (rating === null) return;
      send.disabled = true;
      status.textContent = "Sending…";
      try {
        const { feedback_id } = await api.post("/feedback", { run_id: runId, rating, ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) });
        status.textContent = `Thanks: recorded as ${feedback_id}.`;
        comment.value = "";
        afterSend?.();
      } catch (error) {
        status.textContent = `${error.code}: ${error.message}`;
        send.disabled = false;
      }
    });
    this.recorded = h("ul", { class: "feedback-list" });
    this.summary = h("p", { class: "hint" });
    this.pending = [];
    this.tally = { up: 0, down: 0 };
    body.append(form, this.summary, this.recorded);
  }

  event(e) {
    if (e.type === "feedback.recorded") this.pending.push(e.data);
  }

  /** A tally, and the latest few (a run may carry thousands). */
  render() {
    if (this.pending.length === 0) return;
    for (const d of this.pending) this.tally[d.rating === "up" ? "up" : "down"] += 1;
    const latest = this.pending.slice(-SHOWN);
    this.pending = [];
    const fragment = document.createDocumentFragment();
    for (const d of latest.reverse()) fragment.append(h("li", {}, `${d.rating === "up" ? "Thumbs up" : "Thumbs down"} `, h("code", { text: d.feedback_id })));
    this.recorded.prepend(fragment);
    while (this.recorded.childElementCount > SHOWN) this.recorded.lastElementChild.remove();
    this.summary.textContent = `Recorded: ${this.tally.up} up, ${this.tally.down} down. Latest first:`;
  }
}
