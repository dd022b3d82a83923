/**
 * The run inspector's own paths (its files in public/, and `/` for its page). Every request reaches
 * the worker first (wrangler.toml `assets.run_worker_first`), so an API request costs no asset
 * lookup; GET and HEAD of these paths are handed to the static assets, and any other method on
 * them is the API's 405, in the contract's error shape.
 */
import type { Hono } from "hono";
import type { AppEnv } from "./router";

/** The page and its stylesheet, by exact path. */
const FILES = ["/", "/index.html", "/inspector.css"];
/** Its scripts, any depth below. */
const SCRIPTS = "/js/";

export const INSPECTOR_METHODS = ["GET", "HEAD"];

export function isInspectorPath(path: string): boolean {
  return FILES.includes(path) || (path.startsWith(SCRIPTS) && path.length > SCRIPTS.length);
}

/** GET and HEAD of the inspector's paths, answered from the static assets (a file not there: the API's 404). */
export function mountInspectorFiles(app: Hono<AppEnv>): void {
  app.on(INSPECTOR_METHODS, [...FILES, `${SCRIPTS}*`], async (c, next) => {
    if (isInspectorPath(new URL(c.req.url).pathname)) {
      const file = await c.env.ASSETS.fetch(c.req.raw);
      if (file.status !== 404) return file;
      await file.body?.cancel();
    }
    await next();
  });
}
