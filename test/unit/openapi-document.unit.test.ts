/**
 * The OpenAPI document, built from the route declarations in plain Node (no bindings needed), is a
 * valid OpenAPI 3.1 document by the third-party `@seriousme/openapi-schema-validator` (the official
 * 3.1 JSON Schemas), and says what a client generator needs: readable operation ids and tags, a
 * schema for every answer, one `Error` schema for every error, the event catalogue.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../src/engine/events";
import { allRoutes } from "../../src/worker/app";
import { openApiDocument } from "../../src/worker/openapi";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const doc = openApiDocument(allRoutes(), "http://127.0.0.1:8787") as Json;
const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
  Object.entries(item as Json).map(([method, op]) => ({ path, method, op: op as Json })),
);

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("names every operation readably and tags it", () => {
    const ids = operations.map(({ op }) => op.operationId as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+[A-Z][A-Za-z]*$/);
    expect(Object.fromEntries(operations.map(({ path, method, op }) => [`${method} ${path}`, op.operationId]))).toMatchObject({
      "post /runs": "startRun",
      "get /runs": "listRuns",
      "get /runs/{run_id}/events": "getRunEvents",
      "get /runs/{run_id}/trace": "getRunTrace",
      "get /openapi.json": "getOpenApiDocument",
    });
    const tags = new Set((doc.tags as { name: string }[]).map((t) => t.name));
    for (const { op } of operations) {
      expect(op.tags.length).toBeGreaterThan(0);
      for (const tag of op.tags) expect(tags.has(tag)).toBe(true);
    }
  });

  it("gives every success a schema and every error the one Error schema", () => {
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Json)) {
        const where = `${method} ${path} ${status}`;
        if (status === "204") {
          expect(response.content, where).toBeUndefined();
          continue;
        }
        expect(Object.keys(response.content ?? {}).length, where).toBeGreaterThan(0);
        for (const [type, media] of Object.entries(response.content as Json)) {
          if (status === "default" || Number(status) >= 400) {
            expect([type, media.schema], where).toEqual(["application/json", { $ref: "#/components/schemas/Error" }]);
          } else if (type === "text/event-stream") {
            expect(media.schema.type, where).toBe("string");
            expect(media["x-item-schema"], where).toEqual({ $ref: `#/components/schemas/${path.startsWith("/threads") ? "ThreadSseMessage" : "SseMessage"}` });
          } else if (type === "application/x-ndjson") {
            expect(media["x-item-schema"], where).toEqual({ $ref: "#/components/schemas/RunEvent" });
          } else {
            expect(type, where).toBe("application/json");
            expect(media.schema.$ref, where).toMatch(/^#\/components\/schemas\//);
          }
        }
      }
    }
  });

  it("serves the events page as JSON and the stream as text/event-stream, with the catalogue", () => {
    const events = (doc.paths as Json)["/runs/{run_id}/events"].get.responses;
    expect(Object.keys(events["200"].content).sort()).toEqual(["application/json", "text/event-stream"]);
    expect(events["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/EventsPage" });
    expect(events["204"]).toBeDefined();
    const schemas = doc.components.schemas as Json;
    expect(schemas.EventsPage.properties.events.items).toEqual({ $ref: "#/components/schemas/RunEvent" });
    expect(schemas.RunEvent.oneOf).toHaveLength(EVENT_TYPES.length);
    expect(Object.keys(schemas.RunEvent.discriminator.mapping).sort()).toEqual([...EVENT_TYPES].sort());
    expect(schemas.RunStartedEvent.properties.type).toEqual({ type: "string", const: "run.started" });
    const knowledge = (doc.paths as Json)["/knowledge/events"].get;
    expect(Object.keys(knowledge.responses["200"].content)).toEqual(["text/event-stream"]);
    expect(knowledge.parameters.find((p: Json) => p.name === "format").schema.enum).toEqual(["sse"]);
  });

  it("declares 429 with Retry-After where a start can be refused, and the implied errors", () => {
    const start = (doc.paths as Json)["/runs"].post.responses;
    expect(start["429"].headers["Retry-After"]).toEqual({ $ref: "#/components/headers/Retry-After" });
    expect(Object.keys(start).sort()).toEqual(["200", "201", "400", "401", "403", "409", "413", "415", "429", "503", "default"]);
    const health = (doc.paths as Json)["/healthz"].get;
    expect(health.security).toEqual([]);
    expect(Object.keys(health.responses).sort()).toEqual(["200", "default"]);
    expect(Object.keys((doc.paths as Json)["/runs/{run_id}/state"].get.responses).sort()).toEqual(["200", "401", "403", "404", "503", "default"]);
  });
});
