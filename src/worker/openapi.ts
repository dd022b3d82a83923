/**
 * `/openapi.json`: an OpenAPI 3.1 document generated from the route declarations and the very zod
 * schemas that validate requests, so the description cannot drift from the behaviour.
 */
import { z } from "zod";
import type { RouteDef } from "./router";
import { ErrorResponse } from "./errors";

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

function queryParameters(schema: z.ZodType | undefined): JsonSchema[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: "query",
    required: !field.safeParse(undefined).success,
    schema: schemaOf(field, "input"),
  }));
}

export function openApiDocument(defs: RouteDef[], serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { spec } of defs) {
    const pathParams = [...spec.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const headers = (spec.headers ?? []).map((h) => ({
      name: h.name,
      in: "header",
      required: false,
      description: h.description,
      schema: schemaOf(h.schema, "input"),
    }));
    const responses: Record<string, JsonSchema> = {};
    for (const [status, doc] of Object.entries(spec.responses)) {
      const isError = Number(status) >= 400;
      const schema = isError ? ErrorResponse : doc.schema;
      responses[status] = {
        description: doc.description,
        ...(schema ? { content: { [isError ? "application/json" : (doc.contentType ?? "application/json")]: { schema: schemaOf(schema, "output") } } } : {}),
      };
    }
    responses.default = {
      description: "An error in the contract's error shape",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
    const operation: JsonSchema = {
      summary: spec.summary,
      operationId: `${spec.method}${spec.path.replace(/[{}]/g, "").replace(/\/(\w)/g, (_, ch: string) => ch.toUpperCase())}`,
      parameters: [...pathParams, ...queryParameters(spec.query), ...headers],
      responses,
      ...(spec.scope === null ? { security: [] } : { "x-required-scope": spec.scope }),
      ...(spec.body
        ? { requestBody: { required: true, content: { "application/json": { schema: schemaOf(spec.body, "input") } } } }
        : {}),
    };
    (paths[spec.path] ??= {})[spec.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Run engine",
      version: "1.0.0",
      description: "Event-sourced runs for AI assistants: start runs, stream their events, approve tools.",
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key from API_KEYS" } },
      schemas: { Error: schemaOf(ErrorResponse, "output") },
    },
    paths,
  };
}
