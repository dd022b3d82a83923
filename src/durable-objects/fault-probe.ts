/**
 * Crash injection for tests: a test arms a point (`runInDurableObject(stub, (o) => o.faults.arm(...))`)
 * and the object aborts itself when the workflow reaches it, exactly as if it had been evicted
 * there. Memory and open streams are lost; storage survives. In production nothing is armed.
 */
import type { Probe, ProbePoint } from "../engine/ports";

type Matcher = Partial<Record<string, string | number>> & { at: ProbePoint["at"] };

export class FaultProbe implements Probe {
  private readonly armed: Matcher[] = [];

  constructor(private readonly crash: (reason: string) => void) {}

  /** Crashes the object the next time a point matching every given field is hit. */
  arm(matcher: Matcher): void {
    this.armed.push(matcher);
  }

  hit(point: ProbePoint): void {
    const fields = point as unknown as Record<string, string | number>;
    const index = this.armed.findIndex((m) => Object.entries(m).every(([k, v]) => fields[k] === v));
    if (index < 0) return;
    const [matcher] = this.armed.splice(index, 1);
    this.crash(`injected fault at ${JSON.stringify(matcher)}`);
  }
}
