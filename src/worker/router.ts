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

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

export interface RouteSpec<Q extends z.ZodType, B extends z.ZodType> {
  method: "get" | "post";
  /** OpenAPI-style path, `/runs/{run_id}`. */
  path: string;
  summary: string;
  /** The scope the caller needs; `null` for public routes (no authentication). */
  scope: string | null;
  query?: Q;
  body?: B;
  /** No body at all is the same as `{}` (a request whose every field is optional). */
  bodyOptional?: boolean;
  bodyLimit?: number;
  headers?: { name: string; description: string; schema: z.ZodType }[];
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

/** A matcher for a declared path, for telling 405 from 404. */
export function pathPattern(path: string): RegExp {
  const segments = path
    .split("/")
    .map((segment) => (/^\{[a-z_]+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^$()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}/?$`);
}

export function mountRoutes(app: Hono<AppEnv>, defs: RouteDef[]): void {
  for (const { spec, handler } of defs) {
    app.on(spec.method.toUpperCase(), honoPath(spec.path), async (c) => {
      let principal: Principal = { tenant_id: "", user_id: "", scopes: [] };
      if (spec.scope !== null) {
        principal = authenticate(c.req.header("authorization"), c.env.API_KEYS);
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
