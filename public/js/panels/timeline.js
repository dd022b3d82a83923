// The event timeline as it arrives. Rows are appended in one fragment per animation frame, at
// most ROWS_PER_FRAME at a time (a 2,000-event run never re-renders what is already there, nor
// blocks the page while it replays); a row's full envelope is built only when it is opened. Guardrail events are highlighted; output chunks can be hidden.

import { h, pretty } from "../dom.js";
import { GUARDRAIL, family, summarize } from "../event-types.js";
import { visiblePre } from "../visible.js";
import { section } from "./panel.js";

/** A replay of thousands of events is drawn over several frames, never in one long task. */
const ROWS_PER_FRAME = 250;

export class TimelinePanel {
  constructor() {
    this.count = h("span", { class: "hint", "aria-live": "off", text: "0 events" });
    const hideChunks = h("input", { type: "checkbox", id: "hide-chunks" });
    const follow = h("input", { type: "checkbox", id: "follow-timeline", checked: true });
    const { element, body } = section(
      "Event timeline",
      "panel-timeline",
      this.count,
      h("span", { class: "toggle" }, hideChunks, h("label", { for: "hide-chunks", text: "Hide output chunks" })),
      h("span", { class: "toggle" }, follow, h("label", { for: "follow-timeline", text: "Follow" })),
    );
    this.element = element;
    this.follow = follow;
    // Rows live in blocks of at most ROWS_PER_FRAME: the browser skips the layout and paint of
    // blocks out of view (content-visibility), which it could not do cheaply for 2,000 rows.
    this.list = h("div", { class: "timeline", role: "list", "data-testid": "timeline" });
    this.block = null;
    this.scroller = h("div", { class: "timeline-scroll", tabindex: "0", "aria-label": "Events, oldest first" }, this.list);
    body.append(this.scroller);
    hideChunks.addEventListener("change", () => this.list.classList.toggle("hide-chunks", hideChunks.checked));
    this.list.addEventListener("click", (event) => this.toggle(event));
    this.events = new Map();
    this.pending = [];
    this.t0 = null;
    this.rows = 0;
  }

  event(e) {
    this.events.set(e.seq, e);
    this.pending.push(e);
  }

  /** Appends up to ROWS_PER_FRAME new rows; returns true when more are waiting for the next frame. */
  render() {
    if (this.pending.length === 0) return false;
    if (this.t0 === null) this.t0 = Date.parse(this.pending[0].ts);
    const batch = this.pending.length > ROWS_PER_FRAME ? this.pending.splice(0, ROWS_PER_FRAME) : this.pending.splice(0);
    const fragment = document.createDocumentFragment();
    for (const e of batch) {
      const offset = Date.parse(e.ts) - this.t0;
      const classes = ["ev", `fam-${family(e.type)}`];
      if (GUARDRAIL.has(e.type)) classes.push("guard");
      if (e.type === "output.chunk") classes.push("chunk-ev");
      fragment.append(
        h(
          "div",
          { class: classes.join(" "), role: "listitem", "data-seq": e.seq, "data-type": e.type },
          h(
            "button",
            { type: "button", class: "ev-row", "aria-expanded": "false" },
            h("span", { class: "ev-seq", text: String(e.seq) }),
            h("span", { class: "ev-time", text: `+${offset} ms` }),
            h("span", { class: "ev-type", text: e.type }),
            h("span", { class: "ev-sum", text: summarize(e) }),
          ),
        ),
      );
    }
    const atBottom = this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight < 40;
    // A batch is at most one block's worth: it fills the current block, the rest opens the next.
    if (this.block === null) this.block = this.list.appendChild(h("div", { class: "ev-block", role: "none" }));
    const room = ROWS_PER_FRAME - this.block.childElementCount;
    if (fragment.childElementCount > room) {
      const head = document.createDocumentFragment();
      for (let i = 0; i < room; i++) head.append(fragment.firstChild);
      this.block.append(head);
      this.block = this.list.appendChild(h("div", { class: "ev-block", role: "none" }));
    }
    this.block.append(fragment);
    this.rows += batch.length;
    this.count.textContent = `${this.rows} events`;
    if (this.follow.checked && atBottom) this.scroller.scrollTop = this.scroller.scrollHeight;
    return this.pending.length > 0;
  }

  toggle(event) {
    const button = event.target.closest("button.ev-row");
    if (button === null) return;
    const row = button.parentElement;
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    if (open) {
      row.querySelector("pre")?.remove();
      return;
    }
    const envelope = this.events.get(Number(row.dataset.seq));
    row.append(visiblePre(pretty(envelope), "code envelope"));
  }
}
