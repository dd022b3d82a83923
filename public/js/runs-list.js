// The tenant's recent runs (GET /runs, newest first, paged by cursor), each a link to its view.

import { fmtTime, h } from "./dom.js";

export class RunsList {
  constructor({ api, list, status, more, refresh }) {
    this.api = api;
    this.list = list;
    this.status = status;
    this.more = more;
    this.cursor = null;
    this.current = null;
    refresh.addEventListener("click", () => void this.load());
    more.addEventListener("click", () => void this.load(this.cursor));
  }

  async load(cursor = null) {
    this.status.textContent = "Loading…";
    try {
      const page = await this.api.get(`/runs?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      if (cursor === null) this.list.replaceChildren();
      for (const run of page.runs) this.list.append(this.item(run));
      this.cursor = page.next_cursor;
      this.more.hidden = !page.next_cursor;
      this.status.textContent = this.list.childElementCount === 0 ? "No runs yet." : "";
      this.highlight(this.current);
    } catch (error) {
      this.status.textContent = `Could not list runs: ${error.code}: ${error.message}`;
    }
  }

  item(run) {
    return h(
      "li",
      { "data-run-id": run.run_id },
      h(
        "a",
        { href: `#/runs/${encodeURIComponent(run.run_id)}` },
        h("span", { class: `badge status-${run.status}`, text: run.status }),
        " ",
        h("span", { class: "preview", text: run.message_preview }),
        h("span", { class: "hint when", text: fmtTime(run.created_at) }),
      ),
    );
  }

  highlight(runId) {
    this.current = runId;
    for (const li of this.list.children) {
      const link = li.querySelector("a");
      if (li.dataset.runId === runId) link?.setAttribute("aria-current", "page");
      else link?.removeAttribute("aria-current");
    }
  }
}
