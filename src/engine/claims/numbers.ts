/**
 * Numbers as people write them: "1,250", "1250", "$3.50", "50%", "1.2 million", "2k". Each
 * becomes its canonical digits, plus the scaled value when a scale word or suffix follows.
 */
import { blank, type Claim } from "./claim";

const SCALES: Record<string, number> = {
  k: 1e3,
  thousand: 1e3,
  M: 1e6,
  million: 1e6,
  B: 1e9,
  bn: 1e9,
  billion: 1e9,
  trillion: 1e12,
};

/**
 * A number as people write it: optional sign and currency, digit groups separated by commas or
 * (narrow) no-break spaces, a decimal part, then a percent sign or a scale word. Not the tail of
 * a decimal ("1.2.3") or of a word ("B52").
 */
const NUMBER =
  /(?<![\p{L}\p{N}_]|\d\.)([-−+]?)([$€£¥])?(\d{1,3}(?:[,\u00a0\u202f\u2009]\d{3})+|\d+)(?:\.(\d+))?(?:(%|k\b|M\b|B\b|bn\b)|\s?(percent\b|per cent\b|thousand\b|million\b|billion\b|trillion\b))?(?!\d|[.,]\d)/gu;

/** "1,000.50" → "1000.5": digits only, no leading zeros, no trailing fractional zeros. */
export function canonicalNumber(integer: string, fraction = ""): string {
  const whole = integer.replace(/\D/g, "").replace(/^0+(?=\d)/, "");
  const frac = fraction.replace(/0+$/, "");
  return frac === "" ? whole : `${whole}.${frac}`;
}

function scaledNumber(canonical: string, scale: number): string {
  return String(Number((Number(canonical) * scale).toPrecision(12)));
}

/** Spelled-out numbers: evidence saying "three mines" supports an answer saying "3 mines". */
export const WORD_NUMBERS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70,
  eighty: 80, ninety: 90, hundred: 100, dozen: 12,
};

/** Takes the numbers out of `text` (blanked), reporting each as a claim. */
export function takeNumbers(text: string, found: (claim: Claim) => void): string {
  return text.replace(NUMBER, (whole: string, ...groups: (string | undefined)[]) => {
    const [, , integer = "", fraction, unit, word] = groups;
    const value = canonicalNumber(integer, fraction);
    const keys = [value];
    const scale = SCALES[unit ?? ""] ?? SCALES[(word ?? "").toLowerCase()];
    if (scale !== undefined) keys.push(scaledNumber(value, scale));
    found({ kind: "number", text: whole.trim(), keys });
    return blank(whole);
  });
}

/**
 * A number written with less precision than the evidence holds: "3.14" for 3.14159, "0.3" for
 * 0.30000000000000004, "1.2 million" for 1,234,567. Only decimals and scaled numbers count as
 * rounded; a bare integer must match exactly ("3" is not 3.14, "1,000" is not 1,234).
 */
export function isRoundingOf(claim: Claim, numbers: ReadonlySet<string>): boolean {
  const [raw, scaled] = claim.keys;
  if (raw === undefined) return false;
  const decimals = raw.split(".")[1]?.length ?? 0;
  if (scaled !== undefined) {
    const significant = raw.replace(".", "").replace(/^0+/, "").length;
    const target = Number(scaled);
    return significant > 0 && [...numbers].some((e) => Number(Number(e).toPrecision(significant)) === target);
  }
  if (decimals === 0) return false;
  const target = Number(raw);
  return [...numbers].some((e) => e.includes(".") && Number(Number(e).toFixed(decimals)) === target);
}
