/** The api worker's entry point: the Hono app, and the Durable Object classes it hosts. */
import { createApp } from "./app";

export { RunObject } from "../durable-objects/run-object";
export { KnowledgeObject } from "../durable-objects/knowledge-object";
export { ThreadObject } from "../durable-objects/thread-object";
export { TenantObject } from "../durable-objects/tenant-object";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
