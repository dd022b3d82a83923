// Where the API is and which key to send: kept in this browser's localStorage. `?api=<url>` on the
// page's address sets the API base (for a page served from another origin than the API).

const BASE_KEY = "run-inspector.api-base";
const KEY_KEY = "run-inspector.api-key";

function read(name) {
  try {
    return localStorage.getItem(name) ?? "";
  } catch {
    return "";
  }
}

function write(name, value) {
  try {
    if (value) localStorage.setItem(name, value);
    else localStorage.removeItem(name);
  } catch {
    // Storage may be disabled: the settings then last as long as the page.
  }
}

export class Settings {
  constructor() {
    const fromQuery = new URLSearchParams(location.search).get("api");
    this.base = normalBase(fromQuery ?? read(BASE_KEY));
    this.key = read(KEY_KEY);
    if (fromQuery !== null) write(BASE_KEY, this.base);
    this.listeners = new Set();
  }

  save({ base, key }) {
    this.base = normalBase(base);
    this.key = (key ?? "").trim();
    write(BASE_KEY, this.base);
    write(KEY_KEY, this.key);
    for (const listener of this.listeners) listener(this);
  }

  onChange(listener) {
    this.listeners.add(listener);
  }
}

function normalBase(value) {
  const trimmed = String(value ?? "").trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  try {
    return new URL(trimmed).origin === location.origin ? "" : trimmed;
  } catch {
    return "";
  }
}
