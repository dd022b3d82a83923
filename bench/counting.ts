/**
 * Operation counts for bench/profile.mjs (only when the bench worker runs with `BENCH_COUNT=1`):
 * the run object is handed a `ctx` and an `env` whose storage, D1, Queue and knowledge bindings
 * count what the engine asks of them, and the isolate's console counts log lines. Counters are
 * global to the isolate; the profiler reads them before and after a series of sequential runs.
 */
export const counters = {
  sql_exec: 0,
  transactions: 0,
  set_alarm: 0,
  delete_alarm: 0,
  d1_statements: 0,
  queue_sends: 0,
  knowledge_rpcs: 0,
  log_lines: 0,
};
export type Counters = typeof counters;

export function resetCounters(): void {
  for (const key of Object.keys(counters) as (keyof Counters)[]) counters[key] = 0;
}

/** A view of `target` whose listed members are replaced; every other method stays bound to it. */
function overlay<T extends object>(target: T, overrides: Record<string | symbol, unknown>): T {
  return new Proxy(target, {
    get(t, key) {
      if (key in overrides) return overrides[key];
      const value: unknown = Reflect.get(t, key, t);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** Every method call on the object counts once in `key`. */
function countCalls<T extends object>(target: T, key: keyof Counters): T {
  return new Proxy(target, {
    get(t, name) {
      const value: unknown = Reflect.get(t, name, t);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counters[key] += 1;
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

let consoleWrapped = false;

function countConsole(): void {
  if (consoleWrapped) return;
  consoleWrapped = true;
  for (const level of ["log", "info", "warn", "error"] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      counters.log_lines += 1;
      original(...args);
    };
  }
}

export function countingCtx(ctx: DurableObjectState): DurableObjectState {
  const storage = ctx.storage;
  const sql = overlay(storage.sql, {
    exec: (query: string, ...bindings: unknown[]) => {
      counters.sql_exec += 1;
      return storage.sql.exec(query, ...bindings);
    },
  });
  const countedStorage = overlay(storage, {
    sql,
    transactionSync: <T>(fn: () => T): T => {
      counters.transactions += 1;
      return storage.transactionSync(fn);
    },
    setAlarm: (at: number | Date) => {
      counters.set_alarm += 1;
      return storage.setAlarm(at);
    },
    deleteAlarm: () => {
      counters.delete_alarm += 1;
      return storage.deleteAlarm();
    },
  });
  return overlay(ctx, { storage: countedStorage });
}

export function countingEnv<E extends Env>(env: E): E {
  countConsole();
  const db = overlay(env.DB, {
    prepare: (query: string) => {
      counters.d1_statements += 1;
      return env.DB.prepare(query);
    },
  });
  const queue = overlay(env.TOOL_QUEUE, {
    send: (message: unknown, options?: QueueSendOptions) => {
      counters.queue_sends += 1;
      return env.TOOL_QUEUE.send(message, options);
    },
  });
  const knowledge = overlay(env.KNOWLEDGE_OBJECT, {
    getByName: (name: string) => countCalls(env.KNOWLEDGE_OBJECT.getByName(name), "knowledge_rpcs"),
  });
  return overlay(env, { DB: db, TOOL_QUEUE: queue, KNOWLEDGE_OBJECT: knowledge });
}
