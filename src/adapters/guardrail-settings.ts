/**
 * The guardrail variables of the api worker (README "Safety"), as one zod schema: each variable is a
 * string in `env` and becomes part of the engine's `GuardrailPolicy`. api-settings.ts parses them
 * once with the rest of the worker's settings.
 *
 * A malformed guardrail variable is not guessed around: the settings carry an `error` naming it,
 * and every run fails at `receive` with a terminal `guardrail_config` error until it is fixed (a
 * typo in a blocked category must not silently let that category through).
 */
import { z } from "zod";
import { defaultGuardrails } from "../engine/config";
import type { GuardrailSettings } from "../engine/config";
import { BlockedCategory, GuardrailPolicy, MatchAction, SensitiveKind, SourcePolicy, parseLinkAllowlist } from "../engine/guardrails/policy";

/** Blank counts as unset. */
const blank = (value: unknown) => (typeof value === "string" ? value.trim() || undefined : value);

/** `kind=action` pairs separated by commas: `card=block, email=redact`. */
function pairs<K extends string, V extends string>(keys: z.ZodEnum<Record<K, K>>, values: z.ZodEnum<Record<V, V>>) {
  return z.preprocess(
    blank,
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        const out: Partial<Record<K, V>> = {};
        for (const item of (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
          const [key = "", value = ""] = item.split("=").map((s) => s.trim());
          const k = keys.safeParse(key);
          const v = values.safeParse(value);
          if (!k.success || !v.success) {
            ctx.addIssue({ code: "custom", message: `"${item}" is not one of ${keys.options.join("|")}=${values.options.join("|")}` });
            return z.NEVER;
          }
          out[k.data] = v.data;
        }
        return out;
      }),
  );
}

export const GuardrailVars = z.object({
  OUTPUT_LINK_ALLOWLIST: z.preprocess(blank, z.string().optional()),
  GUARDRAIL_HIDDEN_CHARACTERS: z.preprocess(blank, z.enum(["normalise", "block"]).optional()),
  GUARDRAIL_SENSITIVE: pairs(SensitiveKind, MatchAction),
  GUARDRAIL_INJECTION: pairs(z.enum(["message", "chunk", "tool_result"]), SourcePolicy),
  GUARDRAIL_INJECTION_THRESHOLD: z.preprocess(blank, z.coerce.number().gt(0).max(1).optional()),
  GUARDRAIL_BLOCKED_CATEGORIES: z.preprocess(
    blank,
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined) return [];
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          ctx.addIssue({ code: "custom", message: "is not JSON" });
          return z.NEVER;
        }
        const parsed = z.array(BlockedCategory).safeParse(value);
        if (!parsed.success) {
          ctx.addIssue({ code: "custom", message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
          return z.NEVER;
        }
        for (const category of parsed.data) {
          for (const pattern of category.patterns) {
            try {
              new RegExp(pattern, "iu");
            } catch {
              ctx.addIssue({ code: "custom", message: `category ${category.id}: pattern ${JSON.stringify(pattern)} is not a regular expression` });
              return z.NEVER;
            }
          }
        }
        return parsed.data;
      }),
  ),
  GUARDRAIL_OUTPUT_PERSONAL_DATA: z.preprocess(blank, z.enum(["allow", "redact"]).optional()),
  MODERATION: z.preprocess(blank, z.enum(["block", "flag", "off"]).optional()),
});
export type GuardrailEnv = Partial<Record<keyof z.input<typeof GuardrailVars>, unknown>>;

export function parseGuardrailSettings(env: GuardrailEnv): GuardrailSettings {
  const parsed = GuardrailVars.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    return { ...defaultGuardrails(), error: `invalid guardrail configuration (${fields})` };
  }
  const v = parsed.data;
  const base = defaultGuardrails().policy;
  const policy = GuardrailPolicy.parse({
    input: {
      hidden: v.GUARDRAIL_HIDDEN_CHARACTERS ?? base.input.hidden,
      sensitive: { ...base.input.sensitive, ...v.GUARDRAIL_SENSITIVE },
      blocked_categories: v.GUARDRAIL_BLOCKED_CATEGORIES,
    },
    injection: {
      threshold: v.GUARDRAIL_INJECTION_THRESHOLD ?? base.injection.threshold,
      sources: { ...base.injection.sources, ...v.GUARDRAIL_INJECTION },
    },
    output: {
      ...base.output,
      link_allowlist: parseLinkAllowlist(v.OUTPUT_LINK_ALLOWLIST),
      personal_data: v.GUARDRAIL_OUTPUT_PERSONAL_DATA ?? base.output.personal_data,
    },
  });
  return { policy, error: null, moderation: v.MODERATION ?? "block" };
}
