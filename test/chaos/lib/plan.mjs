/**
 * The seeded plan of a chaos session, drawn whole before anything starts: for each cycle, the runs
 * it starts (kind and spec), the moment it kills the engine at (the trigger) and the random delay
 * after that moment. The same seed gives the same plan; only the machine's timing varies.
 */
import { KINDS, KIND_NAMES, referenceKey } from "./kinds.mjs";

/**
 * Kill triggers, each "wait for this moment, then `delay` ms more":
 * - mid-step: the cycle's runs were just handed to the driver (they are being created and stepped);
 * - after-approval: an approval POST of this cycle has just answered 202 (issue 8 part 1's window);
 * - while-waiting: approvals are held back until some run waits (for an approval or a tool result);
 * - after-restart: the engine has just come back from the previous kill and is recovering runs.
 */
export const TRIGGERS = {
  "mid-step": { weight: 3, delay: [0, 900] },
  "after-approval": { weight: 3, delay: [0, 350] },
  "while-waiting": { weight: 2, delay: [0, 800] },
  "after-restart": { weight: 2, delay: [0, 2000] },
};

/**
 * The references of the next REFERENCE_CHUNK cycles are computed, uncrashed, before the first of
 * them (so that no one process runs hundreds of them: see run.mjs). That cycle's kill cannot be
 * "right after a restart", since the references ran first: it draws another trigger.
 */
export const REFERENCE_CHUNK = 10;
const START_SPREAD_MS = 800;
const THINK_MS = 3000;

export function makePlan(rng, { kills, wave, seed }) {
  const cycles = [];
  let serial = 0;
  // Each run starts up to START_SPREAD_MS into its cycle (so that a kill finds runs at every
  // step), and a person takes up to THINK_MS to decide an approval (so that runs wait across kills).
  const spec = (kind) => {
    serial += 1;
    return { kind, spec: KINDS[kind].spec(rng, `${seed}-${serial}`), startDelayMs: rng.int(0, START_SPREAD_MS), thinkMs: rng.int(0, THINK_MS) };
  };
  const weights = Object.fromEntries(KIND_NAMES.map((name) => [name, KINDS[name].weight]));
  for (let cycle = 1; cycle <= kills; cycle++) {
    const chunkStart = (cycle - 1) % REFERENCE_CHUNK === 0;
    const trigger = rng.weighted(
      Object.fromEntries(Object.entries(TRIGGERS).map(([name, t]) => [name, chunkStart && name === "after-restart" ? 0 : t.weight])),
    );
    const [lo, hi] = TRIGGERS[trigger].delay;
    const kinds = Array.from({ length: wave }, () => rng.weighted(weights));
    // The approval-driven triggers need a run that asks for an approval in this cycle.
    if ((trigger === "after-approval" || trigger === "while-waiting") && !kinds.includes("approval-approved")) kinds[0] = "approval-approved";
    cycles.push({ cycle, trigger, delay: rng.int(lo, hi), runs: kinds.map((kind) => spec(kind)) });
  }
  // Every kind at least once when there are slots enough: a slot of a kind drawn twice or more
  // changes kind (never the approval run an approval-driven trigger relies on).
  for (const kind of KIND_NAMES) {
    const slots = cycles.flatMap((c) => c.runs.map((r, i) => ({ c, i, kind: r.kind })));
    if (slots.some((s) => s.kind === kind)) continue;
    const counts = new Map();
    for (const s of slots) counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
    const needed = (s) => s.i === 0 && s.kind === "approval-approved" && s.c.trigger !== "mid-step" && s.c.trigger !== "after-restart";
    const candidates = slots.filter((s) => counts.get(s.kind) > 1 && !needed(s));
    if (candidates.length === 0) break;
    const chosen = rng.pick(candidates);
    chosen.c.runs[chosen.i] = spec(kind);
  }
  return cycles;
}

/**
 * One uncrashed reference per distinct (mode, message, decision) that can complete: the same body,
 * the same decision, no cancel. A run cancelled while it waits for its approval never completes, so
 * it needs none.
 */
export function referenceSpecs(cycles) {
  const refs = new Map();
  for (const { cycle, runs } of cycles) {
    for (const { kind, spec } of runs) {
      if (spec.cancelAt === "approval-requested") continue;
      const key = referenceKey(spec);
      if (refs.has(key)) continue;
      const effect =
        spec.effect === null ? null : { text: spec.effect.text, expect: spec.decision === "approve" ? "one" : "none" };
      refs.set(key, { cycle, kind, spec: { ...spec, cancelAt: null, effect } });
    }
  }
  return [...refs.values()];
}
