// The run inspector's entry point: settings, the start form, the runs list, and a hash router
// (`#/runs/<id>`) that opens one view at a time. Threads, replays and forks are more routes here
// and more panels in the run view.

import { Api } from "./api.js";
import { h } from "./dom.js";
import { RunView } from "./run-view.js";
import { RunsList } from "./runs-list.js";
import { Settings } from "./settings.js";
import { startForm } from "./start-form.js";

const $ = (id) => document.getElementById(id);

const settings = new Settings();
const api = new Api(settings);
/** Tokens handed out with POST /runs, used for the first stream of that run. */
const startTokens = new Map();
let view = null;

const toast = (() => {
  const el = $("toast");
  let timer = null;
  return (message) => {
    el.textContent = message;
    el.classList.add("show");
    clearTimeout(timer);
    timer = setTimeout(() => el.classList.remove("show"), 4000);
  };
})();

const runs = new RunsList({ api, list: $("runs-list"), status: $("runs-status"), more: $("runs-more"), refresh: $("runs-refresh") });

const ROUTES = [
  {
    pattern: /^#\/runs\/([^/]+)$/,
    open: (match) => {
      const runId = decodeURIComponent(match[1]);
      runs.highlight(runId);
      const token = startTokens.get(runId);
      startTokens.delete(runId);
      return new RunView({ api, runId, token, toast, onEnded: () => void runs.load() });
    },
  },
];

function route() {
  view?.dispose();
  view = null;
  const target = $("view");
  for (const { pattern, open } of ROUTES) {
    const match = pattern.exec(location.hash);
    if (match === null) continue;
    view = open(match);
    target.replaceChildren(view.element);
    view.start();
    return;
  }
  runs.highlight(null);
  target.replaceChildren(
    h("section", { class: "card welcome" }, h("h2", { text: "No run open" }), h("p", { text: "Start a run, or pick one from the list." })),
  );
}

function showIdentity() {
  const where = settings.base || location.origin;
  $("whoami").textContent = `API ${where} · ${settings.key ? "with an API key" : "no key (dev mode)"}`;
}

function setupSettings() {
  const form = $("settings-form");
  form.elements.namedItem("base").value = settings.base;
  form.elements.namedItem("key").value = settings.key;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    settings.save({ base: form.elements.namedItem("base").value, key: form.elements.namedItem("key").value });
    $("settings").open = false;
    toast("Saved.");
  });
  $("settings-forget").addEventListener("click", () => {
    form.elements.namedItem("key").value = "";
    settings.save({ base: settings.base, key: "" });
    toast("Key forgotten.");
  });
  settings.onChange(() => {
    showIdentity();
    void runs.load();
    route();
  });
  if (!settings.key && settings.base) $("settings").open = true;
  showIdentity();
}

setupSettings();
startForm({
  api,
  form: $("start-form"),
  status: $("start-status"),
  onStarted: (started) => {
    if (started.stream_token) startTokens.set(started.run_id, started.stream_token);
    location.hash = `#/runs/${encodeURIComponent(started.run_id)}`;
    void runs.load();
  },
});
$("open-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("open-id").value.trim();
  if (id) location.hash = `#/runs/${encodeURIComponent(id)}`;
});
window.addEventListener("hashchange", route);
void runs.load();
route();
