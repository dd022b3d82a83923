/**
 * Run objects and the executor's call ledgers are addressed by the id their name gives
 * (adapters/named-object.ts), never by name: a named stub hands the object its name, which
 * Miniflare under `wrangler dev` writes into the object's database each time an instance starts.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { objectForRun, objectNamed } from "../../src/adapters/named-object";
import { runObjectName } from "../../src/engine/ids";

const ROOT = path.join(import.meta.dirname, "../..");

/** The TypeScript files under `dir`, skipping build output and other dot-folders. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith(".") || entry.name === "node_modules") return [];
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : entry.name.endsWith(".ts") ? [full] : [];
  });
}

describe("addressing an object by its name's id", () => {
  it("reaches the id the name gives, through a stub made from that id's string", () => {
    const calls: string[] = [];
    const namespace = {
      idFromName: (name: string) => ({ toString: () => `id-of(${name})` }),
      idFromString: (id: string) => {
        calls.push(`idFromString ${id}`);
        return { id };
      },
      get: (id: { id: string }) => {
        calls.push(`get ${id.id}`);
        return { stub: id.id };
      },
    } as unknown as DurableObjectNamespace;
    expect(objectNamed(namespace, "3:dev/run_1")).toEqual({ stub: "id-of(3:dev/run_1)" });
    expect(calls).toEqual(["idFromString id-of(3:dev/run_1)", "get id-of(3:dev/run_1)"]);
    // A run's own objects (its run object, its call ledger) by the run's name.
    expect(objectForRun(namespace, "dev", "run_1")).toEqual({ stub: `id-of(${runObjectName("dev", "run_1")})` });
  });

  it("is how the workers reach a run's object and a call ledger", () => {
    const files = [...sources(path.join(ROOT, "src")), ...sources(path.join(ROOT, "bench"))];
    expect(files.length).toBeGreaterThan(100);
    const named = files.filter((file) => /\b(RUN_OBJECT|CALL_LEDGER)\.getByName\b/.test(readFileSync(file, "utf8")));
    expect(named.map((file) => path.relative(ROOT, file))).toEqual([]);
  });
});
