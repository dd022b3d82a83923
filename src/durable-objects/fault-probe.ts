/**
 * Fault injection for tests: a test arms a point (`runInDurableObject(stub, (o) => o.faults.arm(...))`)
 * and, when the workflow reaches it, the object either aborts itself, exactly as if it had been
 * evicted there (memory and open streams lost, storage kept), or the step throws a retryable or
 * terminal error. In production nothing is armed and `hit` is a lookup in an empty list.
 */
import { StepError } from "../engine/errors";
import type { Probe, ProbePoint } from "../engine/ports";

export type FaultEffect = "crash" | "retryable" | "terminal";

/**
 * The thread object's points (thread-object.ts): a run's end notice arrived (nothing recorded yet:
 * a crash here loses the notice), a turn's end was recorded (the next turn not started yet), and a
 * turn was marked starting (its start command not sent yet).
 */
export type ThreadProbePoint =
  | { at: "thread.notice.received"; turn: number }
  | { at: "thread.turn.ended"; turn: number }
  | { at: "thread.turn.starting"; turn: number };
export type FaultPoint = ProbePoint | ThreadProbePoint;
export type FaultMatcher = Partial<Record<string, string | number>> & { at: FaultPoint["at"]; effect?: FaultEffect };

export class FaultProbe implements Probe {
  private readonly armed: FaultMatcher[] = [];

  /**
   * @param flush makes the writes so far durable (the crash then loses nothing before the point,
   *   as when an object dies after its last write was confirmed)
   * @param crash aborts the object
   */
  constructor(
    private readonly flush: () => Promise<void>,
    private readonly crash: (reason: string) => void,
  ) {}

  /** Fires once, the next time a point matching every given field is hit. Effect: crash by default. */
  arm(matcher: FaultMatcher): void {
    this.armed.push(matcher);
  }

  hit(point: FaultPoint): void | Promise<void> {
    if (this.armed.length === 0) return;
    const fields = point as unknown as Record<string, string | number>;
    const index = this.armed.findIndex(({ effect: _, ...m }) => Object.entries(m).every(([k, v]) => fields[k] === v));
    if (index < 0) return;
    const [matcher] = this.armed.splice(index, 1);
    const where = JSON.stringify(point);
    switch (matcher?.effect ?? "crash") {
      case "crash":
        return this.flush().then(() => this.crash(`injected crash at ${where}`));
      case "retryable":
        throw StepError.retryable("injected_fault", `injected retryable fault at ${where}`);
      case "terminal":
        throw StepError.terminal("injected_fault", `injected terminal fault at ${where}`);
    }
  }
}
