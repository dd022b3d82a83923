/**
 * Crashing objects the way a process restart does: each instance is dropped with its memory,
 * timers and pending work, its storage stays, and the next call wakes a fresh instance. The
 * objects are crashed one after another, each through its input gate (`runInDurableObject`), and
 * one that was not running is started first; a call that is not aborted fails the test.
 *
 * The tests name the objects they crash rather than call `abortAllDurableObjects()`, which aborts
 * every object in the runtime, the Workers pool's own included: with it, `vitest run --project
 * core` without the vite cache hung, CPU idle, right after one of the files that called it, in 2 of
 * 4 clean runs; with this helper the same command passed 4 of 4.
 */
import { runInDurableObject } from "cloudflare:test";

const REASON = "crashed by the test";

export async function crash(...stubs: DurableObjectStub[]): Promise<void> {
  for (const stub of stubs) {
    await runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => {
      state.abort(REASON);
    }).then(
      () => {
        throw new Error("the object was not aborted");
      },
      (error: unknown) => {
        if (!String(error).includes(REASON)) throw error;
      },
    );
  }
}
