/**
 * The executor's Logger (engine port): one JSON line per significant action, at or above a level.
 */
import type { LogFields, LogLevel, Logger } from "../engine/ports";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function isLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && value in ORDER;
}

export function createLogger(level: unknown, base: LogFields = {}): Logger {
  const threshold = ORDER[isLevel(level) ? level : "info"];
  return {
    log(at, msg, fields) {
      if (ORDER[at] < threshold) return;
      const line = JSON.stringify({ level: at, msg, ...base, ...fields, ts: new Date().toISOString() });
      if (at === "error") console.error(line);
      else if (at === "warn") console.warn(line);
      else console.log(line);
    },
    child(fields) {
      return createLogger(level, { ...base, ...fields });
    },
  };
}
