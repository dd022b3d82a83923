/**
 * The session's figures, printed as a markdown table (the README's table comes from here) and kept
 * whole in a JSON summary: runs by kind and how they ended, kills by trigger, lost runs, duplicated
 * events and effects, effects expected against observed, and every violation with what is needed to
 * reproduce it (seed, run, kind, the kills it lived through).
 */
import { KIND_NAMES } from "./kinds.mjs";

export function figures(session) {
  const { runs, kills, restarts } = session;
  const byKind = Object.fromEntries(
    KIND_NAMES.map((kind) => {
      const mine = runs.filter((r) => r.kind === kind);
      const ended = (type) => mine.filter((r) => r.finalTerminal === type).length;
      return [
        kind,
        {
          runs: mine.length,
          completed: ended("run.completed"),
          cancelled: ended("run.cancelled"),
          failed: ended("run.failed"),
          lost: mine.filter((r) => r.lost).length,
          with_violations: mine.filter((r) => r.violations.length > 0).length,
        },
      ];
    }),
  );
  const triggers = {};
  for (const kill of kills) {
    triggers[kill.trigger] ??= { kills: 0, moment_reached: 0 };
    triggers[kill.trigger].kills += 1;
    if (kill.reached) triggers[kill.trigger].moment_reached += 1;
  }
  const effectRuns = runs.filter((r) => r.spec.effect !== null && r.observed !== undefined);
  const approved = effectRuns.filter((r) => r.spec.effect.expect === "one");
  const never = effectRuns.filter((r) => r.spec.effect.expect === "none");
  const maybe = effectRuns.filter((r) => r.spec.effect.expect === "at-most-one");
  const checks = {};
  for (const run of runs) for (const v of run.violations) checks[v.check] = (checks[v.check] ?? 0) + 1;
  return {
    runs: runs.length,
    by_kind: byKind,
    kills: kills.length,
    kills_by_trigger: triggers,
    restarts: restarts.length,
    restart_ms: restarts.length === 0 ? null : { mean: Math.round(restarts.reduce((a, b) => a + b, 0) / restarts.length), max: Math.round(Math.max(...restarts)) },
    runs_through_a_kill: runs.filter((r) => r.kills.length > 0).length,
    // The engine's own record of being killed mid-step: an attempt failed as `interrupted` and retried.
    steps_interrupted: runs.reduce((sum, r) => sum + (r.finalLog ?? []).filter((e) => e.type === "workflow.step.failed" && e.data.error.code === "interrupted").length, 0),
    output_resets: runs.reduce((sum, r) => sum + (r.finalLog ?? []).filter((e) => e.type === "output.reset").length, 0),
    lost_runs: runs.filter((r) => r.lost).length,
    duplicated_events: runs.reduce((sum, r) => sum + (r.duplicates ?? 0), 0),
    // Calls no attempt ran before their run's deadline, fenced by the executor's ledger (tool_not_run).
    fenced_calls: runs.reduce((sum, r) => sum + (r.facts?.fenced ?? 0), 0),
    // Calls the run could not settle at its deadline (tool_outcome_unknown).
    unknown_outcomes: runs.reduce((sum, r) => sum + (r.finalLog ?? []).filter((e) => e.type === "tool.failed" && e.data.error.code === "tool_outcome_unknown").length, 0),
    duplicated_effects: effectRuns.reduce((sum, r) => sum + Math.max(0, r.observed - 1), 0),
    effects: {
      approved: { expected: approved.length, observed: approved.reduce((s, r) => s + r.observed, 0), exactly_once: approved.filter((r) => r.observed === 1).length, lost: approved.filter((r) => r.observed === 0).length },
      never_approved: { expected: 0, runs: never.length, observed: never.reduce((s, r) => s + r.observed, 0) },
      cancelled_after_approval: { runs: maybe.length, observed: maybe.reduce((s, r) => s + r.observed, 0), at_most: maybe.length },
    },
    http_5xx: session.http5xx.length,
    dev_proxy_503: session.proxy503.length,
    violations: runs.reduce((sum, r) => sum + r.violations.length, 0),
    violations_by_check: checks,
    runs_with_violations: runs.filter((r) => r.violations.length > 0).length,
  };
}

export function renderTable(f, { seed, mode, seconds }) {
  const lines = [];
  lines.push(`| chaos (${mode}, seed ${seed}) | figure |`, "| --- | --- |");
  lines.push(`| runs | ${f.runs} (${KIND_NAMES.map((k) => `${k} ${f.by_kind[k].runs}`).join(", ")}) |`);
  lines.push(`| runs alive through at least one kill | ${f.runs_through_a_kill} |`);
  lines.push(`| steps interrupted by a kill and retried (output resets) | ${f.steps_interrupted} (${f.output_resets}) |`);
  lines.push(`| kills (SIGKILL of the whole process group) | ${f.kills} (${Object.entries(f.kills_by_trigger).map(([t, k]) => `${t} ${k.kills}`).join(", ")}) |`);
  lines.push(`| restarts, time to /healthz | ${f.restarts}, mean ${f.restart_ms?.mean ?? "-"} ms, max ${f.restart_ms?.max ?? "-"} ms |`);
  lines.push(`| lost runs (no terminal event, vanished, never created) | ${f.lost_runs} |`);
  lines.push(`| duplicated events | ${f.duplicated_events} |`);
  lines.push(`| duplicated effects | ${f.duplicated_effects} |`);
  lines.push(`| calls fenced at their deadline, not run (outcomes unknown) | ${f.fenced_calls} (${f.unknown_outcomes}) |`);
  const e = f.effects;
  lines.push(`| approved notes: expected, observed, exactly once, lost | ${e.approved.expected}, ${e.approved.observed}, ${e.approved.exactly_once}, ${e.approved.lost} |`);
  lines.push(`| rejected or cancelled before approval: notes observed (expected 0) | ${e.never_approved.observed} over ${e.never_approved.runs} runs |`);
  lines.push(`| cancelled right after approval: notes observed (at most 1 each) | ${e.cancelled_after_approval.observed} over ${e.cancelled_after_approval.runs} runs |`);
  lines.push(`| 5xx answers from the engine (and wrangler proxy 503s, retried) | ${f.http_5xx} (${f.dev_proxy_503}) |`);
  if (f.references) lines.push(`| uncrashed reference runs (with violations) | ${f.references.runs} (${f.references.with_violations}) |`);
  lines.push(`| violations (runs with one or more) | ${f.violations} (${f.runs_with_violations}) ${Object.entries(f.violations_by_check).map(([c, n]) => `${c} ${n}`).join(", ")} |`);
  lines.push(`| wall time | ${seconds} s |`);
  return lines.join("\n");
}

export function renderKinds(f) {
  const lines = ["| kind | runs | completed | cancelled | failed | lost | with violations |", "| --- | --- | --- | --- | --- | --- | --- |"];
  for (const kind of KIND_NAMES) {
    const k = f.by_kind[kind];
    lines.push(`| ${kind} | ${k.runs} | ${k.completed} | ${k.cancelled} | ${k.failed} | ${k.lost} | ${k.with_violations} |`);
  }
  return lines.join("\n");
}
