/**
 * Crashing objects the way a process restart does: each instance is dropped with its memory,
 * timers and pending work, its storage stays, and the next call wakes a fresh instance.
 *
 * The tests name the objects they crash rather than call `abortAllDurableObjects()`, which aborts
 * every object in the runtime, the Workers pool's own included: with it, `vitest run --project
 * core` without the vite cache hung, CPU idle, after one of the files that called it in three runs
 * of three, and finished in the run that left those files out.
 */
import { runInDurableObject } from "cloudflare:test";

export async function crash(...stubs: DurableObjectStub[]): Promise<void> {
  await Promise.all(
    stubs.map((stub) =>
      runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => {
        state.abort("crashed by the test");
      }).catch(() => undefined),
    ),
  );
}
