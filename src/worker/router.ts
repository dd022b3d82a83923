/**
 * Routes declared once: each declaration carries its method, path, scope, query and body schemas
 * and responses. `mountRoutes` registers them on the Hono app with authentication, scope checks
 * and validation done the same way for all; `openapi.ts` documents the same declarations; the 405
 * answer for a known path with the wrong method comes from them too.
 */
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { Principal } from "../engine/ports";
import { authenticate, requireScope } from "./auth";
import { BODY_LIMIT, readJson, readQuery } from "./body";

export type AppEnv = { Bindings: Env; Variables: { principal: Principal } };
export type AppContext = Context<AppEnv>;

/**
 * One media type of a response: its body's schema; or, for a stream of messages such as
 * `text/event-stream`, the format in prose and the schema of one message.
 */
export interface MediaDoc {
  schema?: z.ZodType;
  /** A streamed body: the format of its frames. */
  description?: string;
  /** A streamed body: one message, parsed (OpenAPI 3.2's `itemSchema`, `x-item-schema` in 3.1). */
  itemSchema?: z.ZodType;
}

export interface ResponseDoc {
  description: string;
  /** The JSON body's schema (`application/json`); errors (4xx/5xx) always have the `Error` schema. */
  schema?: z.ZodType;
  /** Several media types, or one other than JSON (`text/event-stream`); wins over `schema`. */
  content?: Record<string, MediaDoc>;
}

export interface RouteSpec<Q extends z.ZodType, B extends z.ZodType> {
  method: "get" | "post";
  /** OpenAPI-style path, `/runs/{run_id}`. */
  path: string;
  /** The OpenAPI operationId: a verb and a noun, `startRun`, `getRunTrace`. */
  operationId: string;
  /** OpenAPI tags (openapi.ts lists them with their descriptions). */
  tags: string[];
  summary: string;
  /** Longer prose for the operation (OpenAPI `description`). */
  description?: string;
  /** The scope the caller needs; `null` for public routes (no authentication). */
  scope: string | null;
  query?: Q;
  body?: B;
  /** No body at all is the same as `{}` (a request whose every field is optional). */
  bodyOptional?: boolean;
  bodyLimit?: number;
  headers?: { name: string; description: string; schema: z.ZodType }[];
  /** The path parameter a stream token in `?access_token=` must be bound to; only the events routes take one. */
  streamToken?: string;
  responses: Record<number, ResponseDoc>;
}

export interface RouteInput<Q extends z.ZodType, B extends z.ZodType> {
  principal: Principal;
  query: z.output<Q>;
  body: z.output<B>;
  params: Record<string, string>;
}

export interface RouteDef {
  spec: RouteSpec<z.ZodType, z.ZodType>;
  handler: (c: AppContext, input: RouteInput<z.ZodType, z.ZodType>) => Response | Promise<Response>;
}

export function route<Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(
  spec: RouteSpec<Q, B>,
  handler: (c: AppContext, input: RouteInput<Q, B>) => Response | Promise<Response>,
): RouteDef {
  return { spec, handler } as unknown as RouteDef;
}

export function honoPath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, ":$1");
}

/** A matcher for a declared path, for telling 405 from 404 (exact: `/runs/` is not `/runs`, as in the router). */
export function pathPattern(path: string): RegExp {
  const segments = path
    .split("/")
    .map((segment) => (/^\{[a-z_]+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^$()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}$`);
}

export function mountRoutes(app: Hono<AppEnv>, defs: RouteDef[]): void {
  for (const { spec, handler } of defs) {
    app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c) => {
      let principal: Principal = { tenant_id: "", user_id: "", scopes: [] };
      if (spec.scope !== null) {
        principal = await authenticate(c.req.raw, c.env, spec.streamToken === undefined ? undefined : c.req.param(spec.streamToken));
        requireScope(principal, spec.scope);
        c.set("principal", principal);
      }
      const url = new URL(c.req.url);
      const query = spec.query ? readQuery(url, spec.query) : undefined;
      const empty = c.req.raw.body === null || c.req.header("content-length") === "0";
      const body = !spec.body
        ? undefined
        : spec.bodyOptional && empty
          ? spec.body.parse({})
          : await readJson(c.req.raw, spec.body, spec.bodyLimit ?? BODY_LIMIT);
      return handler(c, { principal, query, body, params: c.req.param() });
    });
  }
}
