// Pending tool requests, decided on the page. The arguments are shown exactly as stored: pretty
// JSON with every hidden or bidi character replaced by a visible mark, and counted, beside the
// server's own warnings. A request leaves the list when its decision is recorded, it is denied
// (expired), it completes, or the run ends.

import { h, pretty } from "../dom.js";
import { TERMINAL } from "../event-types.js";
import { hiddenChars, visiblePre } from "../visible.js";
import { section } from "./panel.js";

export class ApprovalsPanel {
  constructor({ api, runId, toast }) {
    this.api = api;
    this.runId = runId;
    this.toast = toast;
    const { element, body } = section("Waiting for your approval", "panel-approvals");
    this.element = element;
    this.element.hidden = true;
    this.element.setAttribute("role", "region");
    this.list = h("div", { class: "approvals" });
    body.append(this.list);
    this.cards = new Map();
  }

  event(e) {
    const d = e.data ?? {};
    if (e.type === "approval.requested") this.add(d);
    else if (e.type === "approval.recorded") this.resolve(d.request_id, `${d.decision === "approve" ? "Approved" : "Rejected"} by ${d.user_id}`);
    else if (e.type === "tool.denied" || e.type === "tool.completed" || e.type === "tool.failed") this.resolve(d.request_id, null);
    else if (TERMINAL.has(e.type)) for (const id of [...this.cards.keys()]) this.resolve(id, null);
  }

  add(d) {
    if (this.cards.has(d.request_id)) return;
    const argsText = pretty(d.args);
    const hidden = hiddenChars(argsText);
    const reason = h("input", { type: "text", maxlength: "2000", autocomplete: "off", id: `reason-${d.request_id}` });
    const status = h("p", { class: "hint", role: "status" });
    const approve = h("button", { type: "button", class: "approve", text: "Approve" });
    const reject = h("button", { type: "button", class: "reject", text: "Reject" });
    const decide = async (decision) => {
      approve.disabled = reject.disabled = true;
      status.textContent = "Sending…";
      try {
        await this.api.post(`/runs/${encodeURIComponent(this.runId)}/approval`, {
          request_id: d.request_id,
          decision,
          ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
        });
        status.textContent = decision === "approve" ? "Approved; the run resumes." : "Rejected.";
      } catch (error) {
        status.textContent = `${error.code}: ${error.message}`;
        approve.disabled = reject.disabled = error.status === 409;
      }
    };
    approve.addEventListener("click", () => void decide("approve"));
    reject.addEventListener("click", () => void decide("reject"));
    const warnings = [...(d.warnings ?? []).map((w) => `${w.code}: ${w.message}`)];
    if (hidden.length > 0) {
      const bidi = hidden.filter((c) => c.bidi).length;
      warnings.push(`${hidden.length} hidden character(s) in the arguments${bidi ? `, ${bidi} of them bidi controls` : ""}, shown as ⟨U+…⟩ below`);
    }
    const card = h(
      "article",
      { class: "approval", "data-request-id": d.request_id, "aria-label": `Approval for ${d.tool}` },
      h("p", {}, h("strong", { text: d.tool }), " on ", h("code", { text: d.server }), " · ", h("code", { text: d.request_id })),
      h("p", { class: "hint", text: `${d.reason ?? ""}${d.expires_at ? ` · expires ${new Date(d.expires_at).toLocaleTimeString()}` : ""}` }),
      warnings.length ? h("ul", { class: "warnings" }, warnings.map((w) => h("li", { text: w }))) : null,
      h("p", { class: "label", text: "Arguments, exactly as stored:" }),
      visiblePre(argsText, "code args"),
      h("div", { class: "row wrap" }, h("label", { for: reason.id, text: "Reason (optional)" }), reason, approve, reject),
      status,
    );
    this.cards.set(d.request_id, card);
    this.list.append(card);
    this.element.hidden = false;
    this.toast(`${d.tool} is waiting for your approval`);
  }

  resolve(requestId, text) {
    const card = this.cards.get(requestId);
    if (card === undefined) return;
    this.cards.delete(requestId);
    card.remove();
    if (text) this.toast(text);
    this.element.hidden = this.cards.size === 0;
  }
}
