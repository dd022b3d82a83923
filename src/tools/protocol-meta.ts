/**
 * The `_meta` keys this project's MCP client and servers agree on (plain data, no SDK).
 * - REQUEST_ID_META on a `tools/call` request: the run's request id, so a server may dedupe.
 * - ERROR_META on an `isError` result: `{code, retryable}`, so failures are classified by fields.
 * - DEDUPES_META on a tool in `tools/list`: `true` when the tool has its effect at most once per
 *   REQUEST_ID_META, so an attempt that died mid-call may be repeated with the same request id
 *   (the second call returns the first one's result instead of acting again).
 */
export const REQUEST_ID_META = "run-engine/request_id";
export const ERROR_META = "run-engine/error";
export const DEDUPES_META = "run-engine/dedupes_request_id";
