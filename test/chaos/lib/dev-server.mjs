/**
 * `wrangler dev` as an outside suite starts it (the README's two configs, a `--persist-to` folder),
 * in its own process group so that one SIGKILL takes wrangler, its workerd and every helper down at
 * once, the way a crash or an OOM kill would; then restarted on the same folder.
 *
 * Variables: with two `-c` configs in one process, `--var` reaches only the first worker (the api
 * worker): wrangler 4.86 starts the second config with nothing but `--env`. The executor is given
 * its variables (MCP_SERVER_TOKEN) as environment variables of the wrangler process with
 * CLOUDFLARE_INCLUDE_PROCESS_ENV=true, which wrangler reads for a config that has no `.dev.vars`
 * beside it. That is why wrangler gets a minimal environment: every variable in it becomes a
 * binding of both workers, and an OPENAI_API_KEY of the caller's shell must not switch the model.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { request, sleep } from "./http.mjs";

/** Throws if something already listens on the port (an old server would answer in our place). */
export async function assertFree(port) {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new Error(`port ${port} is in use (${error.code}): stop whatever listens there first`)));
    server.listen(port, "127.0.0.1", resolve);
  });
  await new Promise((resolve) => server.close(resolve));
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export class DevServer {
  /**
   * @param {{root: string, dir: string, persistDir: string, port: number, inspectorPort: number,
   *   apiVars: Record<string,string>, executorEnv: Record<string,string>, log: (line: string) => void}} options
   */
  constructor(options) {
    this.options = options;
    this.baseUrl = `http://127.0.0.1:${options.port}`;
    this.child = null;
    this.starts = 0;
    this.up = false;
    this.readyAt = 0;
    this.startTimes = [];
    this.logFile = null;
    this.onExit = () => this.killSync();
  }

  args() {
    const { persistDir, port, inspectorPort, apiVars } = this.options;
    const args = ["wrangler", "dev", "-c", "wrangler.toml", "-c", "src/tools/wrangler.toml", "--persist-to", persistDir];
    args.push("--port", String(port), "--inspector-port", String(inspectorPort), "--ip", "127.0.0.1");
    args.push("--show-interactive-dev-session=false");
    for (const [name, value] of Object.entries(apiVars)) args.push("--var", `${name}:${value}`);
    return args;
  }

  env() {
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      WRANGLER_SEND_METRICS: "false",
      NO_COLOR: "1",
      FORCE_COLOR: "0",
      CLOUDFLARE_INCLUDE_PROCESS_ENV: "true",
      ...this.options.executorEnv,
    };
    if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
    return env;
  }

  /** Starts wrangler dev and resolves once GET /healthz answers 200. */
  async start(timeoutMs = 180_000) {
    const { port, inspectorPort, root, dir } = this.options;
    await assertFree(port);
    await assertFree(inspectorPort);
    this.starts += 1;
    this.logFile = path.join(dir, `wrangler-${String(this.starts).padStart(3, "0")}.log`);
    const fd = openSync(this.logFile, "a");
    const started = performance.now();
    // detached: a new process group (npx, wrangler, workerd), killed as one with kill(-pgid).
    this.child = spawn("npx", this.args(), { cwd: root, env: this.env(), detached: true, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    const child = this.child;
    child.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.on("error", () => {});
    process.on("exit", this.onExit);
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      const ok = await request("GET", `${this.baseUrl}/healthz`, { timeoutMs: 5_000 }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) {
        this.up = true;
        this.readyAt = performance.now();
        this.startTimes.push(this.readyAt - started);
        return;
      }
      await sleep(150);
    }
    const tail = this.logTail();
    await this.kill();
    throw new Error(`wrangler dev did not become ready within ${timeoutMs} ms (exit ${child.exitCode}):\n${tail}`);
  }

  logTail(chars = 4000) {
    try {
      return readFileSync(this.logFile, "utf8").slice(-chars);
    } catch {
      return "(no log)";
    }
  }

  /** SIGKILL to the whole group; resolves when no process of it is left. */
  async kill() {
    this.up = false;
    const child = this.child;
    if (child === null) return;
    this.killSync();
    await Promise.race([child.exited, sleep(10_000)]);
    const until = Date.now() + 10_000;
    while (groupAlive(child.pid) && Date.now() < until) await sleep(50);
    if (groupAlive(child.pid)) throw new Error(`process group ${child.pid} survived SIGKILL`);
    process.removeListener("exit", this.onExit);
    this.child = null;
  }

  killSync() {
    if (this.child === null) return;
    try {
      process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
