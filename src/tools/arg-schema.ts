/**
 * Validates a call's arguments against the tool's JSON Schema with the MCP SDK's Workers-safe
 * validator (@cfworker/json-schema: no code generation, which workerd forbids). Validators are
 * kept per schema text, since the registry hands out the same schemas over and over.
 */
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";

type Check = (input: unknown) => { valid: boolean; errorMessage?: string | undefined };

const provider = new CfWorkerJsonSchemaValidator({ shortcircuit: false });
const checks = new Map<string, Check>();
const MAX_KEPT = 256;

function checkFor(schema: Record<string, unknown>): Check {
  const key = JSON.stringify(schema);
  let check = checks.get(key);
  if (!check) {
    if (checks.size >= MAX_KEPT) checks.clear();
    check = provider.getValidator(schema);
    checks.set(key, check);
  }
  return check;
}

/** Null when `args` conform to `schema`, else why not. */
export function argsViolation(schema: Record<string, unknown>, args: Record<string, unknown>): string | null {
  const result = checkFor(schema)(args);
  return result.valid ? null : (result.errorMessage ?? "arguments do not match the tool's input schema");
}
