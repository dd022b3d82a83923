/**
 * Starts the engine as a user would: `wrangler dev` with both workers (the api worker and the tool
 * executor) on a fixed port, with a fresh temporary `--persist-to` directory whose D1 migrations
 * are applied first, and stops it by its own process group. Nothing here knows how the engine
 * works inside.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const WRANGLER = path.join(ROOT, "node_modules/.bin/wrangler");
const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" };

export interface WranglerOptions {
  port: number;
  inspectorPort: number;
  /** `--var NAME:VALUE` for each entry. */
  vars?: Record<string, string>;
  /** Where wrangler's output goes (one log file per server). */
  logFile: string;
}

export interface RunningWrangler {
  origin: string;
  stop(): Promise<void>;
}

function run(args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: "a" });
    const child = spawn(WRANGLER, args, { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} exited with ${code}; see ${logFile}`))));
  });
}

async function waitUntilUp(origin: string, child: ChildProcess, logFile: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}; see ${logFile}`);
    try {
      const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev on ${origin} did not answer /healthz within ${timeoutMs} ms; see ${logFile}`);
}

function stopGroup(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) return resolve();
    const pid = child.pid;
    const timer = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

export async function startWrangler(options: WranglerOptions): Promise<RunningWrangler> {
  await writeFile(options.logFile, "");
  const dir = await mkdtemp(path.join(tmpdir(), "run-engine-e2e-"));
  await run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", dir], options.logFile);
  const args = ["dev", "-c", "wrangler.toml", "-c", "src/tools/wrangler.toml", "--ip", "127.0.0.1", "--port", String(options.port), "--inspector-port", String(options.inspectorPort), "--persist-to", dir];
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);
  const log = createWriteStream(options.logFile, { flags: "a" });
  // Its own process group, so that stopping it also stops workerd and nothing else.
  const child = spawn(WRANGLER, args, { cwd: ROOT, env: ENV, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const origin = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntilUp(origin, child, options.logFile);
  } catch (error) {
    await stopGroup(child);
    throw error;
  }
  return {
    origin,
    async stop() {
      await stopGroup(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
