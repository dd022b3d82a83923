// RunState and WorkflowState as the API reports them (GET /state, GET /workflow), read again at
// most every 700 ms while events arrive and once more at the end: the page never folds events
// into a state of its own.

import { fmtMs, fmtTime, h, pretty, replace } from "../dom.js";
import { visiblePre } from "../visible.js";
import { ReadingPanel, section } from "./panel.js";

export class StatePanel extends ReadingPanel {
  constructor({ api, runId, onRunState }) {
    super(700);
    this.api = api;
    this.runId = runId;
    this.onRunState = onRunState;
    const { element, body } = section("Workflow and state", "panel-state");
    this.element = element;
    this.error = h("p", { class: "error-text", role: "status" });
    this.workflow = h("div", { class: "workflow" });
    this.summary = h("dl", { class: "facts" });
    this.decisions = h("div", { class: "raw" });
    // The JSON views are drawn only while open: a long run's RunState is large.
    this.json = { state: null, workflow: null };
    const jsonView = (title, key) => {
      const details = h("details", {}, h("summary", { text: title }));
      const draw = () => {
        details.querySelector("pre")?.remove();
        if (details.open && this.json[key] !== null) details.append(visiblePre(pretty(this.json[key])));
      };
      details.addEventListener("toggle", draw);
      return { details, draw };
    };
    this.jsonViews = [jsonView("RunState (JSON)", "state"), jsonView("WorkflowState (JSON)", "workflow")];
    body.append(this.error, this.workflow, this.summary, this.decisions, ...this.jsonViews.map((v) => v.details));
    this.refresh();
  }

  async load() {
    const id = encodeURIComponent(this.runId);
    try {
      const [state, workflow] = await Promise.all([this.api.get(`/runs/${id}/state`), this.api.get(`/runs/${id}/workflow`)]);
      this.error.textContent = "";
      this.show(state, workflow);
      this.onRunState?.(state);
    } catch (error) {
      this.error.textContent = `${error.code}: ${error.message}`;
    }
  }

  show(state, wf) {
    const rows = (wf.steps ?? []).map((s) => {
      const duration = s.started_at && s.ended_at ? Date.parse(s.ended_at) - Date.parse(s.started_at) : null;
      return h(
        "tr",
        { "data-step": s.name, "data-status": s.status },
        h("th", { scope: "row", text: s.name }),
        h("td", {}, h("span", { class: `badge ${s.status === "completed" ? "ok" : s.status === "failed" ? "bad" : "wait"}`, text: s.status })),
        h("td", { text: String(s.attempts ?? "") }),
        h("td", { text: duration === null ? "–" : fmtMs(duration) }),
      );
    });
    replace(this.workflow, 
      h("p", {}, "Workflow ", h("span", { class: "badge", text: wf.status }), wf.current_step ? ` · step ${wf.current_step} (attempt ${wf.attempt})` : ""),
      wf.waiting ? h("p", { class: "wait-text", text: `Waiting for ${wf.waiting.reason}: ${(wf.waiting.request_ids ?? []).join(", ")} until ${fmtTime(wf.waiting.deadline)}` }) : null,
      h(
        "table",
        { class: "steps" },
        h("caption", { class: "visually-hidden", text: "Workflow steps" }),
        h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Step" }), h("th", { scope: "col", text: "Status" }), h("th", { scope: "col", text: "Attempts" }), h("th", { scope: "col", text: "Took" }))),
        h("tbody", {}, rows),
      ),
      wf.next_alarm_at ? h("p", { class: "hint", text: `Next alarm ${fmtTime(wf.next_alarm_at)}` }) : null,
    );
    const budget = state.budget ?? {};
    const facts = [
      ["Status", state.status],
      ["Phase", state.phase],
      ["Last seq", state.last_seq],
      ["Mode", state.mode],
      ["Tool calls", budget.tool_calls ? `${budget.tool_calls.used} of ${budget.tool_calls.limit}` : "–"],
      ["Tokens", budget.tokens ? `${budget.tokens.used} of ${budget.tokens.limit}` : "–"],
      ["Guardrail", state.guardrail?.status ?? "–"],
      ["Degraded", String(state.degraded ?? false)],
      ["Created", fmtTime(state.created_at)],
      ["Updated", fmtTime(state.updated_at)],
    ];
    this.summary.replaceChildren(...facts.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: String(v ?? "–") })]));
    const decisions = (state.decisions ?? []).map((d) => h("li", {}, h("strong", { text: d.decision }), `: ${d.reason}`));
    replace(this.decisions, decisions.length ? h("details", { open: true }, h("summary", { text: `Decisions (${decisions.length})` }), h("ul", { class: "decisions" }, decisions)) : null);
    this.json = { state, workflow: wf };
    for (const view of this.jsonViews) view.draw();
  }
}
