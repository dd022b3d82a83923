/**
 * The api worker's request log: a request that succeeded is a `debug` line (the platform's
 * invocation log records it already), one refused (4xx) an `info` line, so that at the default
 * LOG_LEVEL the log holds what needs attention and nothing per successful request.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/worker/index";
import { BASE } from "../support/api";

/** The request lines the worker logs for `path` with LOG_LEVEL `level`. */
async function requestLines(path: string, level: string): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  for (const method of ["log", "warn", "error"] as const) vi.spyOn(console, method).mockImplementation((line: unknown) => void lines.push(String(line)));
  const ctx = createExecutionContext();
  // A new env object per level: the worker parses its settings once per env.
  const response = await worker.fetch(new Request(`${BASE}${path}`) as Request<unknown, IncomingRequestCfProperties>, { ...env, LOG_LEVEL: level } as Env, ctx);
  await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      return parsed.msg === "request" ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the request log", () => {
  it("writes nothing for a successful request at info, and a line at debug", async () => {
    expect(await requestLines("/healthz", "info")).toEqual([]);
    expect(await requestLines("/healthz", "debug")).toEqual([expect.objectContaining({ level: "debug", method: "GET", path: "/healthz", status: 200 })]);
  });

  it("writes a refused request at info, with the run it named", async () => {
    const runId = "run_01JNOSUCHRVN00000000000000";
    expect(await requestLines(`/runs/${runId}/state`, "info")).toEqual([
      expect.objectContaining({ level: "info", method: "GET", path: `/runs/${runId}/state`, status: 404, run_id: runId, tenant_id: "dev" }),
    ]);
  });
});
