/**
 * The kinds of run the suite starts, each as a spec the driver follows: the body of POST /runs, the
 * approval decision to record when the run asks for one, when to cancel it, and which side effect it
 * may cause (the unique note text that is counted in the notes store afterwards). Adding a kind
 * (thread runs, for issue 12) means adding an entry here. A kind that starts its runs elsewhere
 * than `POST /runs` sets the optional hooks the driver calls:
 * - `prepare(run, call)`: once, before the first start attempt (create the thread); what it
 *   resolves to is kept as `run.prepared`; `call(method, path, body?, headers?)` is the driver's
 *   authenticated request, which throws `Unreachable` while the engine is down (then it is retried);
 * - `startPath(run)`: e.g. `/threads/${run.prepared.thread_id}/runs` (default `/runs`);
 * - `startBody(run)`: the body (default `{message, mode}`); the answer must carry `run_id`.
 * Every run, whatever its kind, is then followed, decided, cancelled and checked the same way.
 *
 * Spec fields:
 * - `message`, `mode`: the run's body (`reference` says whether an uncrashed run of the same body is
 *   computed to compare the output with);
 * - `decision`: "approve" | "reject" | null, recorded once the run emits `approval.requested`;
 * - `cancelAt`: null | "created" (right after the 201) | "approval-requested" (while the run waits
 *   for the decision, which is then never given) | "approved" (right after the approval's 202);
 * - `effect`: null, or {text, expect: "one" | "none" | "at-most-one"}: the note the run may save.
 */

export const KINDS = {
  plain: {
    weight: 1,
    spec: () => ({ message: "hello there", mode: "chat", decision: null, cancelAt: null, effect: null }),
  },
  calculator: {
    weight: 2,
    spec: (rng) => ({
      message: rng.pick(["What is 12 * (3 + 4)?", "What is (100 - 58) / 7?"]),
      mode: "chat",
      decision: null,
      cancelAt: null,
      effect: null,
    }),
  },
  "approval-approved": {
    weight: 3,
    spec: (_rng, id) => {
      const text = `chaos note ${id}`;
      return { message: `remember: ${text}`, mode: "chat", decision: "approve", cancelAt: null, effect: { text, expect: "one" } };
    },
  },
  "approval-rejected": {
    weight: 1,
    spec: (_rng, id) => {
      const text = `chaos rejected note ${id}`;
      return { message: `remember: ${text}`, mode: "chat", decision: "reject", cancelAt: null, effect: { text, expect: "none" } };
    },
  },
  retrieval: {
    weight: 1,
    spec: () => ({ message: "How long does an approval request stay open?", mode: "chat", decision: null, cancelAt: null, effect: null }),
  },
  research: {
    weight: 1,
    spec: () => ({
      message: "What happens when an approval expires without a decision?",
      mode: "research",
      decision: null,
      cancelAt: null,
      effect: null,
    }),
  },
  cancel: {
    weight: 1.5,
    spec: (rng, id) => {
      const variant = rng.pick(["created", "approval-requested", "approved"]);
      if (variant === "created") {
        return { message: "What is 12 * (3 + 4)?", mode: "chat", decision: null, cancelAt: "created", effect: null };
      }
      const text = `chaos cancelled note ${id}`;
      return {
        message: `remember: ${text}`,
        mode: "chat",
        decision: variant === "approved" ? "approve" : null,
        cancelAt: variant,
        // Cancelled right after the approval: the call may already be on its way, so at most one.
        effect: { text, expect: variant === "approved" ? "at-most-one" : "none" },
      };
    },
  },
};

export const KIND_NAMES = Object.keys(KINDS);

/** The key under which an uncrashed reference output is kept: same body, same decision. */
export function referenceKey(spec) {
  return JSON.stringify([spec.mode, spec.message, spec.decision]);
}

/** Whether a run of this spec should end in run.completed with the reference's output. */
export function expectsCompletion(spec) {
  return spec.cancelAt === null;
}
