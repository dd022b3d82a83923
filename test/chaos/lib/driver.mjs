/**
 * Drives runs as a client would, through the engine's restarts: starts each run (with an
 * Idempotency-Key, so a POST whose answer was lost to a kill is retried without a second run),
 * follows its log through the JSON pages, records the planned approval decision once the run asks
 * for it, cancels it at the planned moment, and re-issues whatever got no answer (a refused or
 * reset connection) once the server is back. Everything it saw is kept on the run for the checks.
 */
import { request, sleep, Unreachable } from "./http.mjs";
import { KINDS } from "./kinds.mjs";

const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);

/** A live run's book: its plan and everything the driver saw and did. */
export function newRun({ label, cycle, kind, spec, tenant, apiKey, reference = false, startDelayMs = 0, thinkMs = 0 }) {
  return {
    notBefore: Date.now() + startDelayMs,
    thinkMs,
    label,
    cycle,
    kind,
    spec,
    tenant,
    apiKey,
    reference,
    idempotencyKey: `chaos-${label}`,
    runId: null,
    startAnswers: [],
    createPosts: 0,
    events: [],
    terminal: null,
    ended: false,
    approvals: new Map(),
    cancel: { due: false, status: null, posts: 0, answers: [] },
    kills: [],
    problems: [],
    anomalies: [],
    busy: false,
    createdAt: null,
    endedAt: null,
  };
}

function limiter(max) {
  let active = 0;
  const queue = [];
  const next = () => {
    if (active >= max || queue.length === 0) return;
    active += 1;
    const { task, resolve, reject } = queue.shift();
    task()
      .then(resolve, reject)
      .finally(() => {
        active -= 1;
        next();
      });
  };
  return (task) =>
    new Promise((resolve, reject) => {
      queue.push({ task, resolve, reject });
      next();
    });
}

/** Whether the run's log, as seen, says it is waiting (and for what). */
export function waitingReason(run) {
  if (run.ended) return null;
  for (let i = run.events.length - 1; i >= 0; i--) {
    const event = run.events[i];
    if (event.type === "workflow.waiting") return event.data.reason;
    if (event.type === "workflow.resumed" || event.type === "workflow.step.started") return null;
  }
  return null;
}

export class Driver {
  /** `maxActive`: at most this many runs started and not ended at once (the rest wait their turn). */
  constructor({ server, log, pollMs = 300, concurrency = 12, maxActive = Infinity }) {
    this.server = server;
    this.maxActive = maxActive;
    this.log = log;
    this.pollMs = pollMs;
    this.limit = limiter(concurrency);
    this.runs = [];
    this.holdApprovals = false;
    this.waiters = [];
    this.running = false;
    this.http5xx = [];
    this.proxy503 = [];
    this.loop = null;
  }

  add(runs) {
    for (const run of runs) this.runs.push(run);
  }

  live() {
    return this.runs.filter((run) => !run.ended);
  }

  start() {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        if (this.server.up) {
          let active = this.live().filter((run) => run.createPosts > 0).length;
          for (const run of this.live()) {
            if (run.busy) continue;
            if (run.createPosts === 0) {
              if (active >= this.maxActive) continue;
              active += 1;
            }
            run.busy = true;
            this.limit(() => this.step(run))
              .catch((error) => run.anomalies.push(`driver error: ${error.stack ?? error}`))
              .finally(() => {
                run.busy = false;
              });
          }
        }
        await sleep(this.pollMs);
      }
    })();
  }

  async stop() {
    this.running = false;
    await this.loop;
    while (this.runs.some((run) => run.busy)) await sleep(20);
  }

  /** Resolves with the run that emitted `signal` (e.g. "approval-acked"), or null after `timeoutMs`. */
  waitFor(signal, predicate, timeoutMs) {
    return new Promise((resolve) => {
      const waiter = { signal, predicate, resolve };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      }, timeoutMs);
      waiter.resolve = (run) => {
        clearTimeout(timer);
        resolve(run);
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves true as soon as `condition()` holds (checked every 50 ms), false after `timeoutMs`. */
  async until(condition, timeoutMs) {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (condition()) return true;
      await sleep(50);
    }
    return condition();
  }

  notify(signal, run) {
    for (const waiter of [...this.waiters]) {
      if (waiter.signal === signal && waiter.predicate(run)) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(run);
      }
    }
  }

  /** A kill is about to happen: every run started (or being started) and not ended lives through it. */
  onKill(number, trigger) {
    for (const run of this.live()) {
      if (run.createPosts > 0) run.kills.push({ number, trigger, seen_seq: run.events.length });
    }
  }

  async call(run, method, path, body, extraHeaders = {}) {
    const response = await request(method, `${this.server.baseUrl}${path}`, {
      body,
      headers: { authorization: `Bearer ${run.apiKey}`, ...extraHeaders },
    });
    if (response.status === 503 && response.text.includes("restarted mid-request")) {
      // wrangler dev's proxy, not the engine: the runtime behind it dropped the connection (seen
      // under heavy load). Nothing says whether the request took effect, so it is retried like a
      // request that got no answer (starts carry an Idempotency-Key; a repeated decision is a 409).
      this.proxy503.push({ run: run.label, method, path, at: Date.now() });
      throw new Unreachable(method, path, Object.assign(new Error("wrangler dev's proxy: worker restarted mid-request"), { code: "PROXY_503" }));
    }
    if (response.status >= 500) {
      this.http5xx.push({ run: run.label, method, path, status: response.status, body: response.text.slice(0, 300), at: Date.now() });
    }
    return response;
  }

  async step(run) {
    try {
      if (run.runId === null) {
        if (Date.now() < run.notBefore) return;
        await this.create(run);
        if (run.runId === null) return;
      }
      if (run.cancel.due && run.cancel.status === null) await this.postCancel(run);
      await this.poll(run);
      await this.decide(run);
      if (run.cancel.due && run.cancel.status === null) await this.postCancel(run);
    } catch (error) {
      if (!(error instanceof Unreachable)) throw error;
      // No answer: the server is down or going down; the next tick after the restart retries.
    }
  }

  async create(run) {
    const kind = KINDS[run.kind] ?? {};
    const call = (method, path, body, headers) => this.call(run, method, path, body, headers);
    // A kind that needs something before its run (a thread, for thread runs) prepares it once.
    if (kind.prepare !== undefined && run.prepared === undefined) run.prepared = await kind.prepare(run, call);
    run.createPosts += 1;
    const path = kind.startPath?.(run) ?? "/runs";
    const body = kind.startBody?.(run) ?? { message: run.spec.message, mode: run.spec.mode };
    const response = await call("POST", path, body, { "idempotency-key": run.idempotencyKey });
    run.startAnswers.push(response.status);
    if ((response.status === 201 || response.status === 200) && typeof response.json?.run_id === "string") {
      run.runId = response.json.run_id;
      run.createdAt = Date.now();
      if (run.spec.cancelAt === "created") run.cancel.due = true;
      return;
    }
    run.problems.push({ check: "start", detail: `POST /runs answered ${response.status}: ${response.text.slice(0, 200)}` });
  }

  async poll(run) {
    const after = run.events.length;
    const response = await this.call(run, "GET", `/runs/${run.runId}/events?format=json&after=${after}&limit=500`);
    if (response.status === 404) {
      if (!run.problems.some((p) => p.check === "vanished")) {
        run.problems.push({ check: "vanished", detail: `GET events answered 404 for a run created with ${run.startAnswers.join(",")}` });
      }
      return;
    }
    if (response.status !== 200) {
      run.anomalies.push(`GET events after=${after}: ${response.status}`);
      return;
    }
    for (const event of response.json.events) {
      if (event.seq !== run.events.length + 1) {
        run.problems.push({ check: "live-seq", detail: `asked after=${after}, got seq ${event.seq} where ${run.events.length + 1} was next` });
        break;
      }
      run.events.push(event);
      if (TERMINAL.has(event.type) && run.terminal === null) {
        run.terminal = event;
        run.ended = true;
        run.endedAt = Date.now();
      }
    }
  }

  /** Records the planned decision for every approval the run asked for and has not had. */
  async decide(run) {
    if (run.ended) return;
    const decided = new Set(run.events.filter((e) => e.type === "approval.recorded").map((e) => e.data.request_id));
    for (const event of run.events) {
      if (event.type !== "approval.requested") continue;
      const requestId = event.data.request_id;
      const book = run.approvals.get(requestId) ?? { status: null, posts: 0, answers: [], seenAt: Date.now() };
      run.approvals.set(requestId, book);
      if (decided.has(requestId) && book.status === null) book.status = "seen-recorded";
      if (run.spec.cancelAt === "approval-requested") {
        run.cancel.due = true;
        continue;
      }
      if (book.status !== null || run.spec.decision === null || this.holdApprovals) continue;
      if (Date.now() < book.seenAt + run.thinkMs) continue;
      book.posts += 1;
      const response = await this.call(run, "POST", `/runs/${run.runId}/approval`, {
        request_id: requestId,
        decision: run.spec.decision,
        reason: "chaos suite",
      });
      book.answers.push(response.status);
      if (response.status === 202) {
        book.status = "acked";
        book.ackedAt = Date.now();
        if (run.spec.cancelAt === "approved") {
          run.cancel.due = true;
          await this.postCancel(run);
        }
        this.notify("approval-acked", run);
      } else if (response.status === 409) {
        // Recorded by an earlier POST whose answer was lost, or no longer pending: the log says which.
        book.status = "conflict";
      } else {
        run.anomalies.push(`POST approval: ${response.status} ${response.text.slice(0, 200)}`);
      }
    }
  }

  async postCancel(run) {
    run.cancel.posts += 1;
    const response = await this.call(run, "POST", `/runs/${run.runId}/cancel`);
    run.cancel.answers.push(response.status);
    if (response.status === 202) run.cancel.status = "acked";
    else if (response.status === 409) run.cancel.status = "conflict";
    else run.anomalies.push(`POST cancel: ${response.status} ${response.text.slice(0, 200)}`);
  }
}
