/**
 * The chaos suite's checker, checked: each check of lib/checks.mjs must pass a real, intact log
 * (test/chaos/fixtures/approved-run.json, recorded from an uncrashed `remember:` run under wrangler
 * dev and approved) and must fail when that log is broken the way it guards against. Runs in plain
 * Node in a second: `node --test test/chaos/checks.test.mjs` (`npm run test:chaos` runs it first).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { canonical, GENESIS } from "./lib/chain.mjs";
import { createHash } from "node:crypto";
import { checkRun, effectViolations, outputDeniesEffect, readFinal } from "./lib/checks.mjs";
import { newRun } from "./lib/driver.mjs";
import { loadEngine } from "./lib/engine-reducer.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const fixture = JSON.parse(readFileSync(path.join(HERE, "fixtures/approved-run.json"), "utf8"));
const engine = await loadEngine(ROOT);
const TEXT = fixture.text;

const clone = (value) => JSON.parse(JSON.stringify(value));

/** Renumbers and re-hashes a log by the contract's rule, so that only the intended fault remains. */
function rechain(events) {
  let previous = GENESIS;
  return events.map((event, i) => {
    const { hash: _old, ...rest } = { ...clone(event), seq: i + 1 };
    const hash = createHash("sha256").update(previous + canonical(rest)).digest("hex");
    previous = hash;
    return { ...rest, hash };
  });
}

function finalOf(events, { state, verify } = {}) {
  const last = events.at(-1);
  return {
    violations: [],
    events,
    state: state ?? engine.foldEvents(events),
    verify: verify ?? { valid: true, last_seq: events.length, head_hash: last.hash, first_bad_seq: null },
  };
}

function runOf(spec = {}, { seen = fixture.events } = {}) {
  const run = newRun({
    label: "t-1",
    cycle: 1,
    kind: "approval-approved",
    spec: { message: `remember: ${TEXT}`, mode: "chat", decision: "approve", cancelAt: null, effect: { text: TEXT, expect: "one" }, ...spec },
    tenant: "t",
    apiKey: "k",
  });
  run.runId = fixture.events[0].run_id;
  run.events = clone(seen);
  return run;
}

/** The distinct checks that failed, in order. */
function checks(run, final, referenceOutput = fixture.output) {
  return [...new Set(checkRun(run, final, { ...engine, referenceOutput }).violations.map((v) => v.check))];
}

const byType = (events, type) => events.findIndex((e) => e.type === type);

test("an intact log of an approved run passes every check", () => {
  const result = checkRun(runOf(), finalOf(fixture.events), { ...engine, referenceOutput: fixture.output });
  assert.deepEqual(result.violations, []);
  assert.deepEqual(effectViolations(runOf(), 1, result.facts, result.terminal), []);
});

test("terminal: a log without its terminal event, or with two, or with events after it", () => {
  const noEnd = rechain(fixture.events.slice(0, -1));
  assert.ok(checks(runOf({}, { seen: noEnd }), finalOf(noEnd)).includes("terminal"));
  const two = rechain([...fixture.events, fixture.events.at(-1)]);
  assert.deepEqual(checks(runOf(), finalOf(two)), ["terminal"]);
  assert.equal(checkRun(runOf(), finalOf(two), { ...engine }).facts.duplicates, 1, "the second terminal event counts as a duplicate");
  const after = rechain([...fixture.events, fixture.events[byType(fixture.events, "workflow.step.started")]]);
  assert.deepEqual(checks(runOf(), finalOf(after)), ["terminal"]);
  const feedback = rechain([...fixture.events, { ...fixture.events.at(-1), type: "feedback.recorded", data: { feedback_id: "fb_1", rating: "up" } }]);
  assert.deepEqual(checks(runOf(), finalOf(feedback)), [], "feedback.recorded may follow the terminal event");
});

test("terminal: an acknowledged cancel must end the run cancelled; nothing may fail", () => {
  const run = runOf();
  run.cancel = { due: true, status: "acked", posts: 1, answers: [202] };
  assert.deepEqual(checks(run, finalOf(fixture.events)), ["terminal"]);
  const failed = clone(fixture.events);
  failed[failed.length - 1] = { ...failed.at(-1), type: "run.failed", data: { error: { code: "interrupted", message: "x" } } };
  const events = rechain(failed);
  assert.ok(checks(runOf({}, { seen: [] }), finalOf(events)).includes("terminal"));
});

test("seen: an event served live that later changed or vanished", () => {
  const served = clone(fixture.events);
  served[3] = { ...served[3], hash: "f".repeat(64) };
  assert.deepEqual(checks(runOf({}, { seen: served }), finalOf(fixture.events)), ["seen"]);
  const longer = [...clone(fixture.events), { ...fixture.events.at(-1), seq: fixture.events.length + 1 }];
  assert.deepEqual(checks(runOf({}, { seen: longer }), finalOf(fixture.events)), ["seen"]);
});

test("schema: event data that its type's schema refuses", () => {
  const events = clone(fixture.events);
  const i = byType(events, "workflow.step.started");
  events[i] = { ...events[i], data: { step: "dance", attempt: 1 } };
  const broken = rechain(events);
  assert.ok(checks(runOf({}, { seen: [] }), finalOf(broken, { state: engine.foldEvents(fixture.events) })).includes("schema"));
});

test("fold: a /state that is not the fold of the log", () => {
  const state = engine.foldEvents(fixture.events);
  assert.deepEqual(checks(runOf(), finalOf(fixture.events, { state: { ...state, output: "something else" } })), ["fold"]);
  assert.deepEqual(checks(runOf(), finalOf(fixture.events, { state: { ...state, last_seq: state.last_seq - 1 } })), ["fold"]);
});

test("chain: a tampered event the server's /verify does not report, and a /verify that says invalid", () => {
  const events = clone(fixture.events);
  const i = byType(events, "plan.created");
  events[i] = { ...events[i], data: { ...events[i].data, needs_retrieval: !events[i].data.needs_retrieval } };
  const result = checkRun(runOf({}, { seen: [] }), finalOf(events, { state: engine.foldEvents(events) }), { ...engine, referenceOutput: fixture.output });
  assert.deepEqual(result.violations.map((v) => v.check), ["chain"]);
  assert.match(result.violations[0].detail, new RegExp(`^seq ${i + 1}:`));
  const lying = finalOf(fixture.events, { verify: { valid: false, last_seq: 3, head_hash: "x", first_bad_seq: 4 } });
  assert.deepEqual(checks(runOf(), lying), ["chain"]);
});

test("duplicates: a second outcome or a second approval.recorded for one request", () => {
  for (const type of ["tool.completed", "approval.recorded"]) {
    const events = clone(fixture.events);
    const i = byType(events, type);
    events.splice(i + 1, 0, events[i]);
    assert.deepEqual(checks(runOf({}, { seen: [] }), finalOf(rechain(events))), ["duplicates"], type);
  }
});

test("output: an answer that differs from the uncrashed run's", () => {
  assert.deepEqual(checks(runOf(), finalOf(fixture.events), "I saved the note “another”."), ["output"]);
});

test("effects: lost, duplicated, unwanted, misreported, and an unknown outcome reported as a timeout", () => {
  const ok = checkRun(runOf(), finalOf(fixture.events), { ...engine, referenceOutput: fixture.output });
  const kinds = (run, observed, result = ok) => effectViolations(run, observed, result.facts, result.terminal).map((v) => v.check);
  assert.deepEqual(kinds(runOf(), 0), ["effect-lost", "effect-misreported"]);
  assert.deepEqual(kinds(runOf(), 2), ["effect-duplicated"]);
  assert.deepEqual(kinds(runOf({ decision: "reject", effect: { text: TEXT, expect: "none" } }), 1), ["effect-unwanted"]);
  assert.deepEqual(kinds(runOf({ effect: { text: TEXT, expect: "at-most-one" } }), 1), []);

  // The call timed out on the run's side (today's lost Queue message): tool.failed tool_timeout.
  const events = clone(fixture.events);
  const i = byType(events, "tool.completed");
  const { request_id, tool } = events[i].data;
  events[i] = { ...events[i], type: "tool.failed", data: { request_id, tool, error: { code: "tool_timeout", message: "no result within 15000 ms" }, retryable: false } };
  const end = events.length - 1;
  const answer = `${tool} did not answer in time, so this answer goes without its result.`;
  events[end] = { ...events[end], data: { ...events[end].data, output: answer, degraded: true } };
  const timedOut = checkRun(runOf({}, { seen: [] }), finalOf(rechain(events), { state: engine.foldEvents(rechain(events)) }), { ...engine });
  // The note was never saved: lost, and the run called an unknown outcome a timeout.
  assert.deepEqual(kinds(runOf(), 0, timedOut), ["effect-lost", "outcome-unknown"]);
  // The note was saved: the log and the answer deny an effect that happened.
  assert.deepEqual(kinds(runOf(), 1, timedOut), ["effect-misreported", "outcome-unknown", "effect-misreported"]);
  // Reported honestly as tool_outcome_unknown, with a hedged answer: no complaint about the report.
  const honest = clone(events);
  honest[i].data.error = { code: "tool_outcome_unknown", message: "the call may have run" };
  honest[end].data.output = `${tool} may have saved the note; its outcome is unknown.`;
  const chained = rechain(honest);
  const h = checkRun(runOf({}, { seen: [] }), finalOf(chained), { ...engine });
  assert.deepEqual(effectViolations(runOf(), 0, h.facts, h.terminal).map((v) => v.check), ["effect-lost"]);
});

test("outputDeniesEffect reads the sentence about the tool, and lets a hedged one pass", () => {
  assert.equal(outputDeniesEffect("notes.save did not answer in time, so this answer goes without its result.", "notes.save"), true);
  assert.equal(outputDeniesEffect("I could not get a result from notes.save: boom.", "notes.save"), true);
  assert.equal(outputDeniesEffect("notes.save may have run; its outcome is unknown.", "notes.save"), false);
  assert.equal(outputDeniesEffect("I saved the note “x”.\n\nThe calculator failed.", "notes.save"), false);
});

/** A server that pages `events` as the contract says, with optional faults. */
async function pagingServer(events, fault = {}) {
  const state = engine.foldEvents(events);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const send = (body) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.endsWith("/state")) return send(state);
    if (url.pathname.endsWith("/verify")) return send({ valid: true, last_seq: events.length, head_hash: events.at(-1).hash, first_bad_seq: null });
    const after = Number(url.searchParams.get("after"));
    const limit = Number(url.searchParams.get("limit"));
    let page = events.filter((e) => e.seq > after).slice(0, limit);
    if (fault.skip !== undefined) page = page.filter((e) => e.seq !== fault.skip);
    const next = page.at(-1)?.seq ?? after;
    const done = fault.neverDone ? false : next >= events.length;
    send({ events: page, next_after: fault.nextAfterOff ? next + 1 : next, done });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

test("readFinal: pages of every size read the whole log; a gap, a wrong next_after or done are caught", async () => {
  const intact = await pagingServer(fixture.events);
  try {
    for (const size of [1, 2, 3, 7, 40, 500]) {
      const final = await readFinal(intact.url, runOf(), size);
      assert.deepEqual(final.violations, [], `limit ${size}`);
      assert.equal(final.events.length, fixture.events.length);
    }
  } finally {
    await intact.close();
  }
  for (const [fault, size] of [[{ skip: 5 }, 3], [{ nextAfterOff: true }, 4], [{ neverDone: true }, 4]]) {
    const faulty = await pagingServer(fixture.events, fault);
    try {
      const final = await readFinal(faulty.url, runOf(), size);
      assert.ok(final.violations.some((v) => v.check === "seq"), JSON.stringify(fault));
    } finally {
      await faulty.close();
    }
  }
});
