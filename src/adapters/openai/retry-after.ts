/**
 * Reads a provider's "wait before retrying" hint from response headers. OpenAI sends both
 * `retry-after-ms` (milliseconds, non-standard) and `retry-after` (RFC 9110: delay-seconds or an
 * HTTP-date); the more precise one wins. The result feeds `StepError.retryAfterMs`; the workflow's
 * retry policy decides what to do with it.
 */

/** The header access this needs: a `Headers`, or anything with the same `get`. */
export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * Milliseconds to wait, or `undefined` when the headers carry no usable hint. A date in the past
 * gives 0; a malformed value is ignored rather than guessed at.
 */
export function retryAfterMs(headers: HeaderSource | undefined | null, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.max(0, Math.ceil(Number(ms)));

  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.max(0, Math.ceil(Number(trimmed) * 1000));

  // An HTTP-date must name a weekday or month and a time; `Date.parse` alone accepts "1" or "2024".
  if (!/[a-z]{3}/i.test(trimmed) || !/\d{1,2}:\d{2}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
