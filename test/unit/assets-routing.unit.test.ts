/**
 * wrangler.toml sends every path to the worker first (`assets.run_worker_first`) except the run
 * inspector's own files, listed as `!` exceptions. A file added to public/ without its exception
 * would be answered by the API's 404, and an exception that covered an API path would hide it:
 * both are checked here.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allRoutes } from "../../src/worker/app";

const ROOT = path.join(import.meta.dirname, "../..");

/** The `run_worker_first` list of wrangler.toml's [assets] table. */
function runWorkerFirst(): string[] {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const line = /^run_worker_first\s*=\s*(\[.*\])\s*$/m.exec(toml);
  if (line === null) throw new Error("wrangler.toml has no assets.run_worker_first");
  return JSON.parse(line[1]!) as string[];
}

/** Wrangler's patterns as used here: an exact path, or a prefix ending in `/*` (any depth below). */
function matches(pattern: string, urlPath: string): boolean {
  return pattern.endsWith("/*") ? urlPath.startsWith(pattern.slice(0, -1)) : urlPath === pattern;
}

function publicFiles(dir = path.join(ROOT, "public")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? publicFiles(full) : ["/" + path.relative(path.join(ROOT, "public"), full).split(path.sep).join("/")];
  });
}

describe("assets.run_worker_first", () => {
  const patterns = runWorkerFirst();
  const exceptions = patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1));

  it("sends every path to the worker unless excepted", () => {
    expect(patterns).toContain("/*");
  });

  it("excepts every file of the run inspector, and its root", () => {
    const missing = ["/", ...publicFiles()].filter((file) => !exceptions.some((p) => matches(p, file)));
    expect(missing, "files in public/ that would reach the worker instead").toEqual([]);
  });

  it("excepts no API path", () => {
    const shadowed = allRoutes()
      .map((route) => route.spec.path.replace(/\{[^}]+\}/g, "x"))
      .filter((apiPath) => exceptions.some((p) => matches(p, apiPath)));
    expect(shadowed).toEqual([]);
  });
});
