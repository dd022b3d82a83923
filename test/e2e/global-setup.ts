/**
 * Starts the two engines the browser tests use, side by side: one in dev mode, one with API keys
 * and CORS_ORIGINS naming the "other origin" static server. Their logs go to test/e2e/artifacts/.
 */
/// <reference path="./provided-context.d.ts" />
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { ARTIFACTS } from "./support/browser.ts";
import { startWrangler } from "./support/wrangler.ts";
import { DEV, KEYED, KEYS, OTHER_ORIGIN } from "./ports.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const started = await Promise.allSettled([
    startWrangler({ ...DEV, logFile: path.join(ARTIFACTS, "wrangler-dev.log") }),
    startWrangler({
      ...KEYED,
      logFile: path.join(ARTIFACTS, "wrangler-keyed.log"),
      vars: { API_KEYS: JSON.stringify(KEYS), CORS_ORIGINS: OTHER_ORIGIN },
    }),
  ]);
  const running = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const stopAll = async () => {
    await Promise.all(running.map((r) => r.stop()));
  };
  const failed = started.find((s) => s.status === "rejected");
  if (failed !== undefined) {
    await stopAll();
    throw (failed as PromiseRejectedResult).reason;
  }
  project.provide("devOrigin", running[0]!.origin);
  project.provide("keyedOrigin", running[1]!.origin);
  return stopAll;
}
