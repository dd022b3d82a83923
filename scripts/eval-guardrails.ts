/**
 * `npm run eval:guardrails [-- --cases FILE.jsonl] [--verbose]`: runs the guardrail layers over
 * labelled cases `{"text", "label": 0|1, "channel": "user_input"|"document"|"tool_result"}` and
 * prints detection and false-positive rates per channel and overall, ending with the line
 * `detection D% false-positives F% cases N`.
 *
 * What "detected" means per channel (the layers as the run uses them, default policy):
 * - user_input: the input gate blocks the message, or the injection detector flags it (source
 *   `message`, run on the message as typed so that text hidden in tag characters is seen).
 * - document: the detector flags it as a retrieved chunk (source `chunk`), which is what makes the
 *   context sanitizer remove or withhold its instructions.
 * - tool_result: the detector flags it as a tool result (source `tool_result`).
 * Evidence is scanned with the shipped tool catalogue's names, as a run would pass them.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { detectInjection, gateInput } from "../src/engine/guardrails/index";

const CHANNELS = ["user_input", "document", "tool_result"] as const;
type Channel = (typeof CHANNELS)[number];
interface Case {
  text: string;
  label: 0 | 1;
  channel: Channel;
  family?: string;
}

/** The tools the shipped executor offers (src/tools/servers). */
const TOOLS = ["calculator.evaluate", "notes.save", "notes.list", "github.get_repo", "github.list_issues"];

function parseArgs(argv: string[]): { cases: string; verbose: boolean } {
  let cases = path.join(import.meta.dirname, "..", "data", "eval", "guardrails.jsonl");
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--cases" && argv[i + 1]) cases = path.resolve(argv[++i]!);
    else if (argv[i]?.startsWith("--cases=")) cases = path.resolve(argv[i]!.slice(8));
    else if (argv[i] === "--verbose" || argv[i] === "-v") verbose = true;
  }
  return { cases, verbose };
}

export function detected(c: Pick<Case, "text" | "channel">): boolean {
  switch (c.channel) {
    case "user_input":
      return gateInput(c.text).blocked || detectInjection(c.text, { source: "message", source_id: "eval" }).flagged;
    case "document":
      return detectInjection(c.text, { source: "chunk", source_id: "eval", tools: TOOLS }).flagged;
    case "tool_result":
      return detectInjection(c.text, { source: "tool_result", source_id: "eval", tools: TOOLS }).flagged;
  }
}

function loadCases(file: string): Case[] {
  const cases: Case[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (line.trim() === "") return;
      const row = JSON.parse(line) as Partial<Case>;
      if (typeof row.text !== "string" || (row.label !== 0 && row.label !== 1) || !CHANNELS.includes(row.channel as Channel)) {
        throw new Error(`${file}:${i + 1}: expected {"text": string, "label": 0|1, "channel": ${CHANNELS.join("|")}}`);
      }
      cases.push(row as Case);
    });
  return cases;
}

interface Tally {
  attacks: number;
  caught: number;
  benign: number;
  flagged: number;
}

const pct = (a: number, b: number) => (b === 0 ? "n/a" : `${((100 * a) / b).toFixed(1)}%`);

function main(): void {
  const { cases: file, verbose } = parseArgs(process.argv.slice(2));
  const cases = loadCases(file);
  const tallies = new Map<string, Tally>();
  const families = new Map<string, Tally>();
  const misses: Case[] = [];
  const falsePositives: Case[] = [];
  const bump = (map: Map<string, Tally>, key: string, c: Case, hit: boolean) => {
    const t = map.get(key) ?? { attacks: 0, caught: 0, benign: 0, flagged: 0 };
    if (c.label === 1) {
      t.attacks++;
      if (hit) t.caught++;
    } else {
      t.benign++;
      if (hit) t.flagged++;
    }
    map.set(key, t);
  };
  for (const c of cases) {
    const hit = detected(c);
    bump(tallies, c.channel, c, hit);
    bump(tallies, "overall", c, hit);
    if (c.family) bump(families, c.family.split(".")[0] + "." + (c.family.split(".")[1] ?? ""), c, hit);
    if (c.label === 1 && !hit) misses.push(c);
    if (c.label === 0 && hit) falsePositives.push(c);
  }
  console.log(`guardrails eval: ${path.relative(process.cwd(), file)}`);
  for (const key of [...CHANNELS, "overall"]) {
    const t = tallies.get(key);
    if (!t) continue;
    console.log(
      `${key.padEnd(12)} detection ${pct(t.caught, t.attacks).padStart(6)} (${t.caught}/${t.attacks})  false-positives ${pct(t.flagged, t.benign).padStart(6)} (${t.flagged}/${t.benign})  cases ${t.attacks + t.benign}`,
    );
  }
  if (verbose) {
    console.log("\nby family:");
    for (const [key, t] of [...families].sort()) {
      console.log(`  ${key.padEnd(36)} ${t.attacks ? `detection ${pct(t.caught, t.attacks)} (${t.caught}/${t.attacks})` : `false-positives ${pct(t.flagged, t.benign)} (${t.flagged}/${t.benign})`}`);
    }
    console.log("\nmissed attacks:");
    for (const c of misses) console.log(`  [${c.channel}] ${JSON.stringify(c.text.slice(0, 160))}`);
    console.log("\nfalse positives:");
    for (const c of falsePositives) console.log(`  [${c.channel}] ${JSON.stringify(c.text.slice(0, 160))}`);
  }
  const all = tallies.get("overall") ?? { attacks: 0, caught: 0, benign: 0, flagged: 0 };
  const d = all.attacks === 0 ? 0 : (100 * all.caught) / all.attacks;
  const f = all.benign === 0 ? 0 : (100 * all.flagged) / all.benign;
  console.log(`detection ${d.toFixed(1)}% false-positives ${f.toFixed(1)}% cases ${cases.length}`);
}

main();
