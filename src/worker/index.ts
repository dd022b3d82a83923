import { DurableObject } from "cloudflare:workers";
export class RunObject extends DurableObject<Env> {
  async hello() { this.ctx.storage.sql.exec("create table if not exists t(x)"); return "hi"; }
}
export default { async fetch(req: Request, env: Env) { const s = env.RUN_OBJECT.getByName("a"); return new Response(await s.hello()); } } satisfies ExportedHandler<Env>;
export { KnowledgeObject } from "../durable-objects/knowledge-object";
