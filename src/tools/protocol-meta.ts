/**
 * The `_meta` keys this project's MCP client and servers agree on (plain data, no SDK).
 * - REQUEST_ID_META on a `tools/call` request: the run's request id, so a server may dedupe.
 * - ERROR_META on an `isError` result: `{code, retryable}`, so failures are classified by fields.
 */
export const REQUEST_ID_META = "run-engine/request_id";
export const ERROR_META = "run-engine/error";
