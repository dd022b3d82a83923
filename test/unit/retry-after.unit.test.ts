import { describe, expect, it } from "vitest";
import { retryAfterMs } from "../../src/adapters/openai/retry-after";

const NOW = Date.parse("2026-11-24T10:00:00.000Z");
const headers = (values: Record<string, string>) => new Headers(values);

describe("retryAfterMs", () => {
  it("reads delay-seconds, including fractions", () => {
    expect(retryAfterMs(headers({ "retry-after": "2" }), NOW)).toBe(2_000);
    expect(retryAfterMs(headers({ "retry-after": " 0.25 " }), NOW)).toBe(250);
    expect(retryAfterMs(headers({ "retry-after": "0" }), NOW)).toBe(0);
    // A bare year-like number is delay-seconds, not a date.
    expect(retryAfterMs(headers({ "retry-after": "2026" }), NOW)).toBe(2_026_000);
  });

  it("reads an HTTP-date relative to now, and a past date as 0", () => {
    expect(retryAfterMs(headers({ "retry-after": "Tue, 24 Nov 2026 10:00:30 GMT" }), NOW)).toBe(30_000);
    expect(retryAfterMs(headers({ "retry-after": "Tue, 24 Nov 2026 09:59:00 GMT" }), NOW)).toBe(0);
  });

  it("prefers retry-after-ms", () => {
    expect(retryAfterMs(headers({ "retry-after-ms": "1500", "retry-after": "9" }), NOW)).toBe(1_500);
  });

  it("ignores what it cannot read instead of guessing", () => {
    expect(retryAfterMs(headers({}), NOW)).toBeUndefined();
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
    expect(retryAfterMs(headers({ "retry-after": "soon" }), NOW)).toBeUndefined();
    expect(retryAfterMs(headers({ "retry-after": "-3" }), NOW)).toBeUndefined();
    expect(retryAfterMs(headers({ "retry-after-ms": "abc", "retry-after": "1" }), NOW)).toBe(1_000);
  });
});
