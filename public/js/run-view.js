// One run on the page: its header (status, connection, cancel) and its panels, fed in order by
// one RunStream. Events update the panels' models as they arrive; the DOM is updated once per
// animation frame, so a burst of events costs one paint.

import { frameScheduler, h } from "./dom.js";
import { RunStream } from "./event-stream.js";
import { TERMINAL } from "./event-types.js";
import { AnswerPanel } from "./panels/answer.js";
import { ApprovalsPanel } from "./panels/approvals.js";
import { FeedbackPanel } from "./panels/feedback.js";
import { GuardrailsPanel } from "./panels/guardrails.js";
import { RetrievalPanel } from "./panels/retrieval.js";
import { StatePanel } from "./panels/state.js";
import { TimelinePanel } from "./panels/timeline.js";
import { ToolsPanel } from "./panels/tools.js";
import { WaterfallPanel } from "./panels/waterfall.js";

const STATUS_BY_EVENT = {
  "run.started": "running",
  "workflow.waiting": "waiting",
  "workflow.resumed": "running",
  "run.completed": "completed",
  "run.failed": "failed",
  "run.cancelled": "cancelled",
};

/** Where each panel sits: across the top, in the left or right column, or across the bottom. */
const SLOTS = new Map([
  [ApprovalsPanel, "top"],
  [AnswerPanel, "left"],
  [TimelinePanel, "left"],
  [FeedbackPanel, "left"],
  [StatePanel, "right"],
  [ToolsPanel, "right"],
  [RetrievalPanel, "right"],
  [GuardrailsPanel, "right"],
  [WaterfallPanel, "bottom"],
]);

export class RunView {
  /** @param {{api: import("./api.js").Api, runId: string, token?: string, toast: (m: string) => void, onEnded?: () => void}} options */
  constructor({ api, runId, token, toast, onEnded }) {
    this.api = api;
    this.runId = runId;
    this.onEnded = onEnded;
    this.status = "…";
    this.ended = false;

    this.statusBadge = h("span", { class: "badge", "data-testid": "run-status", text: "loading" });
    this.connection = h("span", { class: "conn", "data-testid": "connection", role: "status", text: "connecting" });
    this.cancelButton = h("button", { type: "button", class: "secondary small", text: "Cancel run", disabled: true });
    this.cancelButton.addEventListener("click", () => void this.cancel(toast));
    const head = h(
      "header",
      { class: "card run-head" },
      h("h2", { id: "run-title" }, "Run ", h("code", { text: runId })),
      this.statusBadge,
      this.connection,
      this.cancelButton,
    );

    const guardrails = new GuardrailsPanel();
    this.stream = new RunStream({
      api,
      runId,
      token,
      onEvents: (events) => this.receive(events),
      onState: (state, detail) => this.connectionState(state, detail),
    });
    this.panels = [
      new ApprovalsPanel({ api, runId, toast }),
      new AnswerPanel(),
      new StatePanel({ api, runId, onRunState: (state) => guardrails.state(state) }),
      new TimelinePanel(),
      new ToolsPanel(),
      new RetrievalPanel(),
      guardrails,
      new WaterfallPanel({ api, runId }),
      new FeedbackPanel({ api, runId, afterSend: () => void this.stream.catchUp() }),
    ];
    const slot = (name) => this.panels.filter((p) => SLOTS.get(p.constructor) === name).map((p) => p.element);
    this.element = h(
      "section",
      { class: "run", "aria-labelledby": "run-title", "data-run-id": runId },
      head,
      slot("top"),
      h("div", { class: "run-cols" }, h("div", { class: "run-col" }, slot("left")), h("div", { class: "run-col" }, slot("right"))),
      slot("bottom"),
    );
    // A panel's render() returns true when it has more to draw than one frame should take.
    this.render = frameScheduler(() => {
      let more = false;
      for (const panel of this.panels) more = panel.render?.() === true || more;
      if (more) this.render();
    });
  }

  start() {
    this.stream.start();
  }

  dispose() {
    this.stream.stop();
    for (const panel of this.panels) panel.dispose?.();
  }

  receive(events) {
    let endedNow = false;
    for (const e of events) {
      for (const panel of this.panels) panel.event?.(e);
      const status = STATUS_BY_EVENT[e.type];
      if (status) this.status = status;
      if (TERMINAL.has(e.type) && !this.ended) endedNow = this.ended = true;
    }
    this.statusBadge.textContent = this.status;
    this.statusBadge.className = `badge status-${this.status}`;
    this.cancelButton.disabled = this.ended;
    this.render();
    if (endedNow) {
      for (const panel of this.panels) panel.ended?.();
      this.onEnded?.();
    }
  }

  connectionState(state, detail) {
    const text = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", ended: "ended: stream closed", error: "error" }[state] ?? state;
    this.connection.textContent = detail ? `${text} (${detail})` : text;
    this.connection.dataset.state = state;
  }

  async cancel(toast) {
    this.cancelButton.disabled = true;
    try {
      await this.api.post(`/runs/${encodeURIComponent(this.runId)}/cancel`);
      toast("Cancelled.");
    } catch (error) {
      toast(`${error.code}: ${error.message}`);
      this.cancelButton.disabled = this.ended;
    }
  }
}
