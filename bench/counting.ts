/**
 * Operation counts for bench/profile.mjs (only when the bench worker runs with `BENCH_COUNT=1`):
 * the run object's storage calls are counted, it and the tenant object are handed an `env` whose
 * D1, Queue, tenant and knowledge bindings count what they ask of them, and the isolate's console
 * counts log lines. Counters are
 * global to the isolate; the profiler reads them before and after a series of sequential runs.
 */
export const counters = {
  sql_exec: 0,
  /** What SQLite reports for the run object's statements (`cursor.rowsRead` / `rowsWritten`). */
  sql_rows_read: 0,
  sql_rows_written: 0,
  transactions: 0,
  set_alarm: 0,
  delete_alarm: 0,
  /** D1 statements prepared (a batch of index rows prepares one, and binds it per row). */
  d1_statements: 0,
  /** D1 batch requests (the tenant's index writes). */
  d1_batches: 0,
  tenant_rpcs: 0,
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

/** Every method call on an RPC stub counts once in `key` (`then` stays absent: a stub is not a promise). */
function countCalls<T extends object>(stub: T, key: keyof Counters): T {
  return new Proxy(stub, {
    get(t, name) {
      if (name === "then" || typeof name === "symbol") return Reflect.get(t, name, t);
      return (...args: unknown[]) => {
        counters[key] += 1;
        return (t as Record<string, (...a: unknown[]) => unknown>)[name]!(...args);
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

const counted = new WeakSet<object>();
let storagePatched = false;

/**
 * Counts the storage calls of this object from now on. The runtime insists on a real
 * DurableObjectState, so instead of wrapping `ctx` the storage prototypes are patched (once per
 * isolate) to count calls made on the storages registered here, and only those.
 */
export function countStorage(ctx: DurableObjectState): void {
  const storage = ctx.storage;
  counted.add(storage);
  counted.add(storage.sql);
  if (storagePatched) return;
  storagePatched = true;
  const patch = (proto: Record<string, unknown>, method: string, key: keyof Counters) => {
    const original = proto[method] as (...args: unknown[]) => unknown;
    proto[method] = function (this: object, ...args: unknown[]) {
      if (counted.has(this)) counters[key] += 1;
      return original.apply(this, args);
    };
  };
  const storageProto = Object.getPrototypeOf(storage) as Record<string, unknown>;
  const sqlProto = Object.getPrototypeOf(storage.sql) as Record<string, unknown>;
  const exec = sqlProto.exec as (...args: unknown[]) => SqlStorageCursor<Record<string, SqlStorageValue>>;
  sqlProto.exec = function (this: object, ...args: unknown[]) {
    const cursor = exec.apply(this, args);
    if (counted.has(this)) {
      counters.sql_exec += 1;
      // Read once the caller has consumed the cursor (callers read it in the same synchronous turn).
      queueMicrotask(() => {
        counters.sql_rows_read += cursor.rowsRead;
        counters.sql_rows_written += cursor.rowsWritten;
      });
    }
    return cursor;
  };
  patch(storageProto, "transactionSync", "transactions");
  patch(storageProto, "setAlarm", "set_alarm");
  patch(storageProto, "deleteAlarm", "delete_alarm");
}

export function countingEnv<E extends Env>(env: E): E {
  countConsole();
  const db = overlay(env.DB, {
    prepare: (query: string) => {
      counters.d1_statements += 1;
      return env.DB.prepare(query);
    },
    batch: (statements: D1PreparedStatement[]) => {
      counters.d1_batches += 1;
      return env.DB.batch(statements);
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
  const tenants = overlay(env.TENANT_OBJECT, {
    getByName: (name: string) => countCalls(env.TENANT_OBJECT.getByName(name), "tenant_rpcs"),
  });
  return overlay(env, { DB: db, TOOL_QUEUE: queue, KNOWLEDGE_OBJECT: knowledge, TENANT_OBJECT: tenants });
}
