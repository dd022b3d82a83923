/**
 * Structured logs: one JSON line per significant action, with `run_id`, `tenant_id` and the step
 * when known, so Workers Logs can be filtered by run.
 */
import type { LogFields, Logger, LogLevel } from "../engine/ports";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class JsonLogger implements Logger {
  private readonly min: number;

  constructor(
    level: string,
    private readonly fields: () => LogFields = () => ({}),
    private readonly extra: LogFields = {},
  ) {
    this.min = RANK[level as LogLevel] ?? RANK.info;
  }

  /** Whether a line at `level` is written (so a caller can skip building one that is not). */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.min;
  }

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const line = JSON.stringify({ level, msg, ...this.fields(), ...this.extra, ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  }

  child(fields: LogFields): Logger {
    const parent = this;
    return {
      log: (level, msg, more) => parent.log(level, msg, { ...fields, ...more }),
      child: (more) => parent.child({ ...fields, ...more }),
    };
  }
}
