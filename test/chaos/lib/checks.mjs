/**
 * What must hold for every run once it has ended, however often the engine was killed under it.
 * Each failed check is a violation `{check, detail}` on the run; the suite fails on any.
 *
 * - terminal: exactly one of run.completed / run.failed / run.cancelled, and after it nothing but
 *   feedback.recorded; no run fails (the suite sends valid bodies under generous budgets); a run
 *   whose cancel was acknowledged ends in run.cancelled, and one nobody cancelled never does;
 * - seq: the JSON pages (a seeded small `limit`, so that pages break everywhere) give seqs exactly
 *   1..n, `next_after` the last seq of the page, `done` true on the page that reaches the end only;
 * - seen: every event a client saw while the run was live is still there, byte for byte (a kill
 *   must not take back an event that was already served);
 * - schema: every event's data parses with the engine's own schema for its type;
 * - fold: `/state` equals the engine's reducer folded over events 1..last_seq (the whole object),
 *   and last_seq is the last event;
 * - chain: `/verify` says valid at the last seq and head hash, and the suite's own recomputation of
 *   the contract's hash rule agrees at every seq;
 * - duplicates: one outcome event per tool request, one approval.recorded per request, one
 *   run.started;
 * - output: a completed run's output equals the output of an uncrashed run of the same message
 *   (and the same approval decision);
 * - effects (see effectViolations): each approved note saved exactly once, each rejected or
 *   cancelled-before-approval note never, and the log agrees with the notes store.
 */
import { canonical, firstBrokenLink } from "./chain.mjs";
import { request, sleep, Unreachable } from "./http.mjs";

const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);
const OUTCOMES = new Set(["tool.completed", "tool.failed", "tool.denied", "tool.server.error"]);
/** Error codes that say for certain the tool did not run (anything else may have run it). */
const NOT_RUN_CODES = new Set(["deadline_exceeded", "invalid_message", "tool_not_run"]);

/** A GET of the run's; a dropped connection or wrangler's "restarted mid-request" 503 is retried. */
async function get(baseUrl, run, path) {
  for (let attempt = 1; ; attempt++) {
    let response;
    try {
      response = await request("GET", `${baseUrl}/runs/${run.runId}${path}`, { headers: { authorization: `Bearer ${run.apiKey}` } });
    } catch (error) {
      if (!(error instanceof Unreachable) || attempt >= 5) throw error;
      await sleep(500);
      continue;
    }
    if (response.status === 503 && response.text.includes("restarted mid-request") && attempt < 5) {
      await sleep(500);
      continue;
    }
    if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${response.text.slice(0, 200)}`);
    return response.json;
  }
}

/** Reads the run's whole log in pages of `pageSize`, checking each page's shape on the way. */
export async function readFinal(baseUrl, run, pageSize) {
  const violations = [];
  const state = await get(baseUrl, run, "/state");
  const events = [];
  const dones = [];
  let after = 0;
  for (;;) {
    const page = await get(baseUrl, run, `/events?format=json&after=${after}&limit=${pageSize}`);
    if (page.events.length > pageSize) violations.push({ check: "seq", detail: `a page of limit ${pageSize} held ${page.events.length} events` });
    for (const event of page.events) {
      if (event.seq !== events.length + 1) {
        violations.push({ check: "seq", detail: `after=${after}: seq ${event.seq} where ${events.length + 1} was next` });
        return { violations, state, events, pages: dones.length + 1, verify: await get(baseUrl, run, "/verify") };
      }
      if (event.run_id !== run.runId) violations.push({ check: "seq", detail: `seq ${event.seq} names run ${event.run_id}` });
      events.push(event);
    }
    const expectedNext = page.events.at(-1)?.seq ?? after;
    if (page.next_after !== expectedNext) violations.push({ check: "seq", detail: `after=${after}: next_after ${page.next_after}, expected ${expectedNext}` });
    dones.push({ after, last: expectedNext, done: page.done });
    if (page.events.length === 0) break;
    after = expectedNext;
    if (dones.length > 100_000) throw new Error("paging did not end");
  }
  // `done` is true exactly on the pages that reach the end of an ended run's log.
  const ended = events.some((e) => TERMINAL.has(e.type));
  for (const { after: from, last, done } of dones) {
    const expected = ended && last === events.length;
    if (done !== expected) violations.push({ check: "seq", detail: `the page after=${from} (to ${last} of ${events.length}) says done=${done}` });
  }
  const verify = await get(baseUrl, run, "/verify");
  return { violations, state, events, pages: dones.length, verify };
}

function sentencesAbout(text, needle) {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .filter((sentence) => sentence.toLowerCase().includes(needle));
}

const DENIAL = /\b(did not|didn't|could not|couldn't|not saved|was not|wasn't|failed|without its result)\b/i;
const HEDGE = /\b(may|might|unknown|uncertain|not sure|cannot tell|can't tell)\b/i;

/** True when the output tells the user that `tool` did not do its work, without hedging. */
export function outputDeniesEffect(output, tool) {
  return sentencesAbout(output, tool).some((sentence) => DENIAL.test(sentence) && !HEDGE.test(sentence));
}

/**
 * Checks one ended run's final log; `references` maps a reference key to the uncrashed output.
 * Returns `{violations, facts}` (facts feed the figures: duplicates, side-effect requests).
 */
export function checkRun(run, final, { foldEvents, parseEvent, referenceOutput }) {
  const violations = [...final.violations];
  const { events, state, verify } = final;
  const v = (check, detail) => violations.push({ check, detail });
  const facts = { duplicates: 0, sideEffects: [], fenced: 0 };

  // terminal
  const terminals = events.filter((e) => TERMINAL.has(e.type));
  if (terminals.length === 0) v("terminal", `no terminal event (last: seq ${events.at(-1)?.seq} ${events.at(-1)?.type})`);
  if (terminals.length > 1) {
    v("terminal", `${terminals.length} terminal events: ${terminals.map((e) => `${e.seq} ${e.type}`).join(", ")}`);
    facts.duplicates += terminals.length - 1;
  }
  const terminal = terminals[0];
  if (terminal !== undefined) {
    const after = events.filter((e) => e.seq > terminal.seq && e.type !== "feedback.recorded");
    if (after.length > 0) v("terminal", `events after ${terminal.type} (seq ${terminal.seq}): ${after.map((e) => `${e.seq} ${e.type}`).join(", ")}`);
    // Nothing here may fail (valid bodies, generous budgets); only a cancel the suite sent may cancel.
    if (terminal.type === "run.failed") v("terminal", `ended in run.failed: ${JSON.stringify(terminal.data.error).slice(0, 200)}`);
    if (run.cancel.status === "acked" && terminal.type !== "run.cancelled") {
      v("terminal", `the cancel was acknowledged (202) but the run ended in ${terminal.type}`);
    }
    if (run.cancel.posts === 0 && terminal.type === "run.cancelled") v("terminal", "ended in run.cancelled, and nobody cancelled it");
  }

  // seen: nothing a client was served may change or disappear
  for (const seen of run.events) {
    const now = events[seen.seq - 1];
    if (now === undefined) {
      v("seen", `seq ${seen.seq} (${seen.type}) was served live, and is gone from the log`);
      break;
    }
    if (now.hash !== seen.hash || canonical(now) !== canonical(seen)) {
      v("seen", `seq ${seen.seq} changed: served as ${seen.type} ${seen.hash.slice(0, 12)}, now ${now.type} ${now.hash.slice(0, 12)}`);
      break;
    }
  }

  // schema
  for (const event of events) {
    try {
      parseEvent(event);
    } catch (error) {
      v("schema", `seq ${event.seq} ${event.type}: ${String(error.message ?? error).slice(0, 200)}`);
      break;
    }
  }

  // fold
  if (terminal !== undefined && state.last_seq !== events.length) v("fold", `/state last_seq ${state.last_seq}, the log has ${events.length} events`);
  try {
    const folded = foldEvents(events.slice(0, state.last_seq));
    if (canonical(folded) !== canonical(state)) {
      const keys = [...new Set([...Object.keys(folded ?? {}), ...Object.keys(state)])].filter(
        (key) => canonical(folded?.[key]) !== canonical(state[key]),
      );
      v("fold", `/state differs from the fold of events 1..${state.last_seq} in: ${keys.join(", ")}`);
    }
  } catch (error) {
    v("fold", `the reducer rejects the log: ${String(error.message ?? error).slice(0, 200)}`);
  }

  // chain
  const last = events.at(-1);
  if (!verify.valid || verify.last_seq !== events.length || verify.head_hash !== last?.hash) {
    v("chain", `/verify: ${JSON.stringify(verify)}; the log ends at ${last?.seq} ${last?.hash}`);
  }
  const broken = firstBrokenLink(events);
  if (broken !== null) v("chain", `seq ${broken.seq}: hash ${broken.actual}, the contract's rule gives ${broken.expected}`);

  // duplicates
  const count = (type, key) => {
    const seen = new Map();
    for (const e of events.filter((x) => type.has(x.type))) seen.set(key(e), (seen.get(key(e)) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1);
  };
  for (const [id, n] of count(OUTCOMES, (e) => e.data.request_id)) {
    v("duplicates", `${n} outcome events for request ${id}`);
    facts.duplicates += n - 1;
  }
  for (const [id, n] of count(new Set(["approval.recorded"]), (e) => e.data.request_id)) {
    v("duplicates", `${n} approval.recorded for request ${id}`);
    facts.duplicates += n - 1;
  }
  for (const [, n] of count(new Set(["run.started"]), () => "run")) {
    v("duplicates", `${n} run.started events`);
    facts.duplicates += n - 1;
  }

  // output. A call the executor's ledger fenced at the run's deadline (`tool_not_run`: no attempt
  // ran it while the server was up, and none ever will) is a known outcome, counted apart: the
  // answer says so, and cannot be the uncrashed run's.
  facts.fenced = events.filter((e) => e.type === "tool.failed" && e.data.error.code === "tool_not_run").length;
  if (terminal?.type === "run.completed" && referenceOutput !== undefined && facts.fenced === 0 && terminal.data.output !== referenceOutput) {
    v("output", `output ${JSON.stringify(terminal.data.output).slice(0, 240)} differs from the uncrashed run's ${JSON.stringify(referenceOutput).slice(0, 240)}`);
  }

  // side-effecting requests, for effectViolations
  for (const requested of events.filter((e) => e.type === "tool.requested" && e.data.requires_approval)) {
    const id = requested.data.request_id;
    const outcome = events.find((e) => OUTCOMES.has(e.type) && e.data.request_id === id) ?? null;
    const approval = events.find((e) => e.type === "approval.recorded" && e.data.request_id === id) ?? null;
    facts.sideEffects.push({ request_id: id, tool: requested.data.tool, args: requested.data.args, approval: approval?.data.decision ?? null, outcome });
  }
  return { violations, facts, terminal };
}

/**
 * The side-effect checks of one run, given how many notes with its text the store holds.
 * Approved: exactly one. Rejected or cancelled before a decision: none. Cancelled right after the
 * approval: at most one. And the log must not contradict the store: a `tool.completed` means a
 * note; an error outcome of a call that may have run must say so (`tool_outcome_unknown`), not
 * claim a plain timeout or failure, and the answer must not tell the user it did not happen when
 * it did.
 */
export function effectViolations(run, observed, facts, terminal) {
  const violations = [];
  const v = (check, detail) => violations.push({ check, detail });
  const { expect, text } = run.spec.effect;
  if (expect === "one" && observed === 0) v("effect-lost", `approved, but no note "${text}" was saved`);
  if (expect === "none" && observed > 0) v("effect-unwanted", `${observed} note(s) "${text}" saved, though never approved`);
  if (observed > 1) v("effect-duplicated", `${observed} notes "${text}" for one approved request`);
  for (const request of facts.sideEffects) {
    const outcome = request.outcome;
    if (outcome?.type === "tool.completed" && observed === 0) v("effect-misreported", `tool.completed for ${request.request_id}, yet no note was saved`);
    const error = outcome?.type === "tool.failed" || outcome?.type === "tool.server.error" ? outcome.data.error : null;
    if (outcome !== null && outcome.type !== "tool.completed" && observed > 0) {
      v("effect-misreported", `the note was saved, but the run recorded ${outcome.type}${error ? ` (${error.code})` : ""} for ${request.request_id}`);
    }
    const mayHaveRun = request.approval === "approve" && error !== null && !NOT_RUN_CODES.has(error.code);
    if (mayHaveRun && error.code !== "tool_outcome_unknown") {
      v("outcome-unknown", `${request.tool} was approved and dispatched, its outcome is not known, yet it ended as ${outcome.type} ${error.code} (${error.message})`);
    }
    if (outcome !== null && outcome.type !== "tool.completed" && observed > 0 && terminal?.type === "run.completed") {
      if (outputDeniesEffect(terminal.data.output, request.tool)) {
        v("effect-misreported", `the answer tells the user ${request.tool} did not happen, and it did: ${JSON.stringify(terminal.data.output).slice(0, 200)}`);
      }
    }
  }
  return violations;
}
