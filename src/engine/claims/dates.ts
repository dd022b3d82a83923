/**
 * Dates in the forms people write them ("2024-05-03", "May 3, 2024", "3rd of May 2024",
 * "03/05/2024", "May 2024", "May 3"), normalised to `yyyy-mm-dd`, `yyyy-mm` or `--mm-dd`.
 */
import { blank, type Claim } from "./claim";

const MONTH_NAMES = [
  ["January", "Jan"], ["February", "Feb"], ["March", "Mar"], ["April", "Apr"], ["May"], ["June", "Jun"],
  ["July", "Jul"], ["August", "Aug"], ["September", "Sept", "Sep"], ["October", "Oct"], ["November", "Nov"],
  ["December", "Dec"],
] as const;
const MONTH_INDEX = new Map<string, number>(
  MONTH_NAMES.flatMap((names, index) => names.map((name) => [name.toLowerCase(), index + 1] as const)),
);
/** Capitalised only: "may" is more often a verb than a month. */
const MONTH = `(${MONTH_NAMES.flat().join("|")})\\.?`;
const DAY = "(\\d{1,2})(?:st|nd|rd|th)?";
const YEAR = "(\\d{4})";

const pad = (n: number) => String(n).padStart(2, "0");
const validDay = (month: number, day: number) => month >= 1 && month <= 12 && day >= 1 && day <= 31;

interface DateForm {
  pattern: RegExp;
  /** Normal forms of one match: `yyyy-mm-dd`, `yyyy-mm` or `--mm-dd`; empty when not a real date. */
  keys(m: RegExpExecArray): string[];
}

const month = (name: string | undefined) => MONTH_INDEX.get((name ?? "").toLowerCase().replace(/\.$/, "")) ?? 0;
const full = (y: number, mo: number, d: number) => (validDay(mo, d) ? [`${y}-${pad(mo)}-${pad(d)}`] : []);

const DATE_FORMS: DateForm[] = [
  {
    // 2024-05-03, optionally with a time: 2024-05-03T10:00:00Z
    pattern: /\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?!\d)/g,
    keys: (m) => full(Number(m[1]), Number(m[2]), Number(m[3])),
  },
  {
    // May 3, 2024 · May 3rd 2024
    pattern: new RegExp(`\\b${MONTH}\\s+${DAY},?\\s+${YEAR}\\b`, "g"),
    keys: (m) => full(Number(m[3]), month(m[1]), Number(m[2])),
  },
  {
    // 3 May 2024 · 3rd of May, 2024
    pattern: new RegExp(`\\b${DAY}\\s+(?:of\\s+)?${MONTH},?\\s+${YEAR}\\b`, "g"),
    keys: (m) => full(Number(m[3]), month(m[2]), Number(m[1])),
  },
  {
    // 03/05/2024 or 3.5.2024: day-month or month-day, either reading counts
    pattern: /\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b/g,
    keys: (m) => [...full(Number(m[3]), Number(m[2]), Number(m[1])), ...full(Number(m[3]), Number(m[1]), Number(m[2]))],
  },
  {
    // May 2024
    pattern: new RegExp(`\\b${MONTH},?\\s+${YEAR}\\b`, "g"),
    keys: (m) => (month(m[1]) ? [`${m[2]}-${pad(month(m[1]))}`] : []),
  },
  {
    // May 3 · 3rd of May
    pattern: new RegExp(`\\b${MONTH}\\s+${DAY}\\b|\\b${DAY}\\s+(?:of\\s+)?${MONTH}\\b`, "g"),
    keys: (m) => {
      const mo = m[1] ? month(m[1]) : month(m[4]);
      const d = Number(m[2] ?? m[3]);
      return validDay(mo, d) ? [`--${pad(mo)}-${pad(d)}`] : [];
    },
  },
];

/** Every partial form a full date also supports ("2024-05-03" supports "May 2024" and "May 3"). */
export function impliedDateKeys(key: string): string[] {
  const fullDate = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (fullDate) return [key, `${fullDate[1]}-${fullDate[2]}`, `--${fullDate[2]}-${fullDate[3]}`];
  return [key];
}

/** Takes the dates out of `text` (blanked), reporting each as a claim. */
export function takeDates(text: string, found: (claim: Claim) => void): string {
  let out = text;
  for (const form of DATE_FORMS) {
    out = out.replace(form.pattern, (...args: unknown[]) => {
      const match = args.slice(0, -2) as unknown as RegExpExecArray;
      const whole = String(args[0]);
      const keys = form.keys(match);
      if (keys.length === 0) return whole;
      found({ kind: "date", text: whole, keys });
      return blank(whole);
    });
  }
  return out;
}
