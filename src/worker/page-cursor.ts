/**
 * The opaque `cursor` of paged lists (`GET /runs`): the position of the last item returned, as
 * URL-safe base64 of a JSON tuple. Anything this API did not hand out is a 400, not a 500.
 */
import { z } from "zod";
import { ApiError } from "./errors";

export function encodeCursor(position: readonly string[]): string {
  return btoa(JSON.stringify(position)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor<T extends z.ZodType>(cursor: string, shape: T): z.output<T> {
  try {
    return shape.parse(JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/"))));
  } catch {
    throw new ApiError("invalid_request", "query.cursor: is not a cursor this API returned", [
      { path: "query.cursor", message: "is not a cursor this API returned" },
    ]);
  }
}
