/**
 * Keeps `npm test` output to what a developer needs: test results and real failures. The suite
 * crashes objects on purpose (crash-recovery tests abort them mid-step), cancels streams, and points
 * clients at closed ports; workerd reports each of those on stderr, and a dependency's sourcemaps
 * point to files it does not ship. Those expected lines, and only those, are dropped here; the
 * engine's own JSON log lines are dropped by `onConsoleLog` in vitest.config.ts. `TEST_LOGS=1`
 * shows everything.
 */
const EXPECTED: RegExp[] = [
  /injected (crash|retryable fault|terminal fault) at/,
  /Network connection lost/,
  /disconnected: (read end of pipe was aborted|abortRead\(\) has been called|stream disconnected prematurely|connect\(\): Connection refused)/,
];

/** A line workerd wrote (not a test report), that is one of the expected ones. */
function isExpectedNoise(text: string): boolean {
  if (/^Sourcemap for ".*\/node_modules\/.*" points to missing source files/.test(text)) return true;
  return /^(uncaught exception|exception = )/.test(text) && EXPECTED.some((pattern) => pattern.test(text));
}

export function quietExpectedNoise(): void {
  if (process.env.TEST_LOGS === "1") return;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === "string" ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString("utf8") : "";
      if (text !== "" && isExpectedNoise(text)) {
        const done = rest.find((arg): arg is () => void => typeof arg === "function");
        done?.();
        return true;
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/** Engine log lines (JSON with a level) that tests provoke; shown with TEST_LOGS=1. */
export function isEngineLogLine(log: string): boolean {
  return process.env.TEST_LOGS !== "1" && /^\{"level":"(debug|info|warn|error)"/.test(log.trim());
}
