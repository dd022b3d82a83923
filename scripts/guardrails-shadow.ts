/**
 * `npm run guardrails:shadow -- --since 7d [--base URL] [--key KEY] [--max-runs N] [--json]`
 * `npm run guardrails:shadow -- --file events.ndjson [--json]`
 *
 * Re-runs the current guardrail rules (src/engine/shadow.ts) over stored runs and reports what they
 * would newly flag or block, and what they would no longer flag or block, before a rule change
 * ships. Runs come from a running engine (the tenant of `--key`, `GET /runs` newest first back to
 * `--since`, each run's events as JSON pages) or from files of events, one envelope per line (as
 * `GET /runs/{id}/export` writes them; several runs may share a file).
 *
 * The policy is the worker's: the same variables (`GUARDRAIL_*`, `OUTPUT_LINK_ALLOWLIST`) read from
 * this process's environment, parsed by the worker's own parser; a malformed one stops the script.
 * `--since` takes an ISO date (`2026-05-01`, `2026-05-01T12:00Z`) or an age (`90m`, `24h`, `7d`).
 * Exit status: 0, or 2 on bad arguments or configuration.
 */
import { readFileSync } from "node:fs";
import { parseGuardrailSettings } from "../src/adapters/guardrail-settings";
import { parseEvent } from "../src/engine/events";
import type { RunEvent } from "../src/engine/events";
import { shadowRun, summarise } from "../src/engine/shadow";
import type { ShadowRunReport } from "../src/engine/shadow";

interface Args {
  since: number | null;
  base: string;
  key: string | undefined;
  maxRuns: number;
  files: string[];
  json: boolean;
}

function fail(message: string): never {
  console.error(`guardrails:shadow: ${message}`);
  process.exit(2);
}

function parseSince(raw: string, now = Date.now()): number {
  const age = /^(\d+)\s*(m|h|d)$/.exec(raw.trim());
  if (age) return now - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as "m" | "h" | "d"];
  const at = Date.parse(raw);
  if (Number.isNaN(at)) fail(`--since ${JSON.stringify(raw)} is neither an ISO date nor an age like 24h or 7d`);
  return at;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { since: null, base: process.env.ENGINE_URL ?? "http://127.0.0.1:8787", key: process.env.API_KEY, maxRuns: 1000, files: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] ?? "").split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    if (flag === "--since") args.since = parseSince(value());
    else if (flag === "--base") args.base = value().replace(/\/+$/, "");
    else if (flag === "--key") args.key = value();
    else if (flag === "--max-runs") args.maxRuns = Number(value());
    else if (flag === "--file") args.files.push(value());
    else if (flag === "--json") args.json = true;
    else fail(`unknown argument ${flag}`);
  }
  if (args.files.length === 0 && args.since === null) fail("give --since (runs of a running engine) or --file (events exported as JSON lines)");
  if (!Number.isInteger(args.maxRuns) || args.maxRuns < 1) fail("--max-runs must be a positive integer");
  return args;
}

/** Runs' events from JSON-lines files, grouped by run id, in file order. */
function runsFromFiles(files: string[]): RunEvent[][] {
  const runs = new Map<string, RunEvent[]>();
  for (const file of files) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((line, i) => {
        if (line.trim() === "") return;
        let event: RunEvent;
        try {
          event = parseEvent(JSON.parse(line));
        } catch (error) {
          fail(`${file}:${i + 1}: not an event envelope (${error instanceof Error ? error.message.slice(0, 120) : String(error)})`);
        }
        runs.set(event.run_id, [...(runs.get(event.run_id) ?? []), event]);
      });
  }
  return [...runs.values()];
}

async function getJson<T>(args: Args, path: string): Promise<T> {
  const response = await fetch(`${args.base}${path}`, { headers: args.key ? { authorization: `Bearer ${args.key}` } : {} });
  if (!response.ok) fail(`GET ${path}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
  return (await response.json()) as T;
}

/** The tenant's runs created since `since`, newest first, each with its events. */
async function* runsFromEngine(args: Args): AsyncGenerator<RunEvent[]> {
  let cursor: string | null = null;
  let count = 0;
  for (;;) {
    const page: { runs: { run_id: string; created_at: string }[]; next_cursor: string | null } = await getJson(args, `/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    for (const run of page.runs) {
      if (Date.parse(run.created_at) < (args.since ?? 0) || count >= args.maxRuns) return;
      count++;
      const events: RunEvent[] = [];
      for (let after = 0; ; ) {
        const chunk: { events: unknown[]; next_after: number } = await getJson(args, `/runs/${run.run_id}/events?format=json&after=${after}&limit=1000`);
        for (const raw of chunk.events) {
          try {
            events.push(parseEvent(raw));
          } catch {
            // An event this version does not know is not one the guardrails judged.
          }
        }
        if (chunk.events.length < 1000) break;
        after = chunk.next_after;
      }
      yield events;
    }
    if (page.next_cursor === null) return;
    cursor = page.next_cursor;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const settings = parseGuardrailSettings(process.env);
  if (settings.error !== null) fail(settings.error);
  const tools =
    args.files.length > 0
      ? ["calculator.evaluate", "notes.save", "notes.list", "github.get_repo", "github.list_issues"]
      : (await getJson<{ tools: { name: string }[] }>(args, "/tools")).tools.map((t) => t.name);
  const reports: ShadowRunReport[] = [];
  if (args.files.length > 0) for (const events of runsFromFiles(args.files)) reports.push(shadowRun(events, settings.policy, tools));
  else for await (const events of runsFromEngine(args)) reports.push(shadowRun(events, settings.policy, tools));
  const summary = summarise(reports);
  if (args.json) {
    console.log(JSON.stringify({ summary, findings: reports.flatMap((r) => r.findings) }, null, 2));
    return;
  }
  console.log(`guardrails shadow: ${summary.runs} runs, ${summary.texts} texts (messages, chunks, tool results) under the current rules`);
  for (const finding of reports.flatMap((r) => r.findings)) {
    const was = finding.before ? `${finding.before.rule} ${finding.before.score}` : "-";
    const now = finding.after ? `${finding.after.rule} ${finding.after.score}` : "-";
    console.log(`  ${finding.change.padEnd(18)} ${finding.run_id} ${finding.source} ${finding.source_id}  then: ${was}  now: ${now}  ${JSON.stringify(finding.excerpt)}`);
  }
  const c = summary.changes;
  console.log(`by rule: ${summary.rules.map((r) => `${r.rule} ${r.count}`).join(", ") || "none"}`);
  console.log(`newly blocked ${c.newly_blocked} newly flagged ${c.newly_flagged} no longer blocked ${c.no_longer_blocked} no longer flagged ${c.no_longer_flagged}`);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
