// Tool calls: one row per request, its arguments (hidden characters made visible), its status as
// it moves (requested, waiting for approval, approved or rejected, completed, failed, denied), and
// its result or error.

import { fmtMs, h, pretty } from "../dom.js";
import { visiblePre } from "../visible.js";
import { section } from "./panel.js";

export class ToolsPanel {
  constructor() {
    const { element, body } = section("Tool calls", "panel-tools");
    this.element = element;
    this.empty = h("p", { class: "hint", text: "No tool calls." });
    this.list = h("div", { class: "tool-calls" });
    body.append(this.empty, this.list);
    this.calls = new Map();
    this.dirty = new Set();
  }

  call(id, tool) {
    let call = this.calls.get(id);
    if (call === undefined) {
      call = { id, tool, server: "", args: undefined, status: "requested", result: undefined, error: undefined, meta: "", element: null };
      this.calls.set(id, call);
    }
    this.dirty.add(call);
    return call;
  }

  event(e) {
    const d = e.data ?? {};
    switch (e.type) {
      case "tool.requested": {
        const c = this.call(d.request_id, d.tool);
        Object.assign(c, { server: d.server, args: d.args, status: d.requires_approval ? "needs approval" : "requested" });
        break;
      }
      case "approval.requested":
        this.call(d.request_id, d.tool).status = "waiting for approval";
        break;
      case "approval.recorded":
        this.call(d.request_id, "").status = d.decision === "approve" ? `approved by ${d.user_id}` : `rejected by ${d.user_id}`;
        break;
      case "tool.completed": {
        const c = this.call(d.request_id, d.tool);
        Object.assign(c, { status: "completed", result: d.result, meta: `${fmtMs(d.duration_ms)}${d.cached ? " · cached" : ""}` });
        break;
      }
      case "tool.failed":
        Object.assign(this.call(d.request_id, d.tool), { status: "failed", error: `${d.error?.code}: ${d.error?.message}${d.retryable ? " (retryable)" : ""}` });
        break;
      case "tool.denied":
        Object.assign(this.call(d.request_id, d.tool), { status: "denied", error: d.reason });
        break;
      case "tool.server.error":
        this.call(d.request_id, "").error = `${d.server}: ${d.error?.code}: ${d.error?.message}`;
        break;
      default:
    }
  }

  render() {
    if (this.dirty.size === 0) return;
    for (const call of this.dirty) {
      const next = this.view(call);
      if (call.element) call.element.replaceWith(next);
      else this.list.append(next);
      call.element = next;
    }
    this.dirty.clear();
    this.empty.hidden = this.calls.size > 0;
  }

  view(c) {
    const statusClass = c.status.startsWith("completed") ? "ok" : /failed|denied|rejected/.test(c.status) ? "bad" : "wait";
    return h(
      "article",
      { class: "tool-call", "data-request-id": c.id },
      h("p", {}, h("strong", { text: c.tool || "?" }), c.server ? [" on ", h("code", { text: c.server })] : null, " ", h("span", { class: `badge ${statusClass}`, text: c.status }), c.meta ? h("span", { class: "hint", text: ` ${c.meta}` }) : null),
      h("p", { class: "hint" }, h("code", { text: c.id })),
      c.args !== undefined ? h("details", { open: true }, h("summary", { text: "Arguments" }), visiblePre(pretty(c.args), "code args")) : null,
      c.result !== undefined ? h("details", {}, h("summary", { text: "Result" }), visiblePre(pretty(c.result))) : null,
      c.error ? h("p", { class: "error-text", text: c.error }) : null,
    );
  }
}
