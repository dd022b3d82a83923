/**
 * A Durable Object named by a string, addressed by the id that name gives. It is the object
 * `getByName(name)` reaches, without handing it the name (`ctx.id.name`): under `wrangler dev`,
 * Miniflare writes the name of a named object into its database each time an instance of it starts,
 * a storage commit of its own. For a run's object that was one commit in five of every new run, and
 * one more on every later wake. Only for objects that never read their own name.
 */
export function objectNamed<T extends Rpc.DurableObjectBranded | undefined>(namespace: DurableObjectNamespace<T>, name: string): DurableObjectStub<T> {
  return namespace.get(namespace.idFromString(namespace.idFromName(name).toString()));
}
