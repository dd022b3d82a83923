import { runObjectName } from "../engine/ids";

/**
 * A Durable Object named by a string, addressed by the id that name gives. It is the object
 * `getByName(name)` reaches, without handing it the name (`ctx.id.name`). Under `wrangler dev`
 * (whose local explorer is on by default), Miniflare wraps every object class and writes a named
 * object's name into its database each time an instance starts: a storage commit of its own, which
 * for a run's object was one in five of every new run, and one more on every later wake. Deployed
 * objects and the vitest pool are not wrapped, so there this changes nothing; the explorer shows
 * these objects by id. Only for objects that never read their own name.
 */
export function objectNamed<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>, name: string): DurableObjectStub<T> {
  return namespace.get(namespace.idFromString(namespace.idFromName(name).toString()));
}

/** The object of `namespace` that belongs to one run (its run object, its call ledger), by id. */
export function objectForRun<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>, tenantId: string, runId: string): DurableObjectStub<T> {
  return objectNamed(namespace, runObjectName(tenantId, runId));
}
