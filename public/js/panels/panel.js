// What every panel of the run view shares: a titled, labelled section, and a throttle for panels
// that read an endpoint while events arrive.
//
// A panel is an object with `element` and any of: `event(e)` for each event in order (update the
// model only, cheaply), `render()` once per animation frame after events arrived, `ended()` once
// the run has ended, `dispose()` when the view closes. New views (threads, replay, forks) are new
// panels in this shape.

import { h } from "../dom.js";

let counter = 0;

export function section(title, className, ...headerExtras) {
  const id = `panel-${++counter}`;
  const body = h("div", { class: "panel-body" });
  const element = h("section", { class: `card panel ${className}`, "aria-labelledby": id }, h("div", { class: "panel-head" }, h("h3", { id, text: title }), ...headerExtras), body);
  return { element, body };
}

/**
 * A panel that shows what an endpoint says: it reads it now, again (at most every `ms`) while
 * events arrive, and once more at the end. Subclasses implement `load()`.
 */
export class ReadingPanel {
  constructor(ms) {
    this.refresh = throttled(() => this.load(), ms);
  }

  event() {
    this.refresh();
  }

  ended() {
    this.refresh();
  }

  dispose() {
    this.refresh.cancel();
  }
}

/**
 * Calls async `fn` at most once per `ms`, never two at once, and always once more after the last
 * request (so the final state is read).
 */
export function throttled(fn, ms) {
  let running = false;
  let again = false;
  let last = 0;
  let timer = null;
  const run = async () => {
    timer = null;
    running = true;
    again = false;
    last = Date.now();
    try {
      await fn();
    } catch {
      // The panel shows its own errors; a later call tries again.
    }
    running = false;
    if (again) request();
  };
  const request = () => {
    if (running) {
      again = true;
      return;
    }
    if (timer !== null) return;
    timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
  };
  request.cancel = () => {
    clearTimeout(timer);
    timer = null;
    again = false;
  };
  return request;
}
