/**
 * The capability router: a run asks for a *capability* (planning, generation, verification,
 * classification), never for a model. This maps each capability to a model id from the settings;
 * which provider serves the run is the adapters' choice (src/adapters/model.ts).
 */
import type { Capability } from "../ports";

export const CAPABILITIES = ["planning", "generation", "verification", "classification"] as const satisfies readonly Capability[];

/** The model each capability uses when none is configured for it. */
export const DEFAULT_MODELS: Readonly<Record<Capability, string>> = {
  planning: "gpt-4o-mini",
  generation: "gpt-4o-mini",
  verification: "gpt-4o-mini",
  classification: "gpt-4o-mini",
};

/** The capability → model id mapping, as the `ModelClient.modelFor` of any provider. */
export function createModelRouter(models: Record<Capability, string>): (capability: Capability) => string {
  const table = { ...models };
  return (capability) => table[capability];
}
