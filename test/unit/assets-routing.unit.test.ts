/**
 * Every request reaches the worker first (wrangler.toml `assets.run_worker_first = true`), and the
 * worker hands GET and HEAD of the run inspector's paths to the `ASSETS` binding
 * (src/worker/inspector-files.ts). A file added to public/ outside those paths would be answered
 * by the API's 404, and an inspector path that covered an API path would hide it: both are checked
 * here; test/integration/api-contract serves the files through the worker.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allRoutes } from "../../src/worker/app";
import { isInspectorPath } from "../../src/worker/inspector-files";

const ROOT = path.join(import.meta.dirname, "../..");

/** wrangler.toml's [assets] table, its lines as written. */
function assetsTable(): string {
  const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  const table = /^\[assets\]\n((?:[^[\n].*\n|\n)*)/m.exec(toml);
  if (table === null) throw new Error("wrangler.toml has no [assets] table");
  return table[1]!;
}

function publicFiles(dir = path.join(ROOT, "public")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? publicFiles(full) : ["/" + path.relative(path.join(ROOT, "public"), full).split(path.sep).join("/")];
  });
}

describe("the run inspector's files", () => {
  it("are behind the worker: every path runs it first, and the assets are its ASSETS binding", () => {
    const table = assetsTable();
    expect(table).toMatch(/^run_worker_first\s*=\s*true\s*$/m);
    expect(table).toMatch(/^binding\s*=\s*"ASSETS"\s*$/m);
  });

  it("are all served by the worker, and so is the page's root", () => {
    const unserved = ["/", ...publicFiles()].filter((file) => !isInspectorPath(file));
    expect(unserved, "files in public/ the worker would answer with 404").toEqual([]);
  });

  it("cover no API path", () => {
    const shadowed = allRoutes()
      .map((route) => route.spec.path.replace(/\{[^}]+\}/g, "x"))
      .filter((apiPath) => isInspectorPath(apiPath));
    expect(shadowed).toEqual([]);
  });
});
