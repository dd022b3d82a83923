/**
 * Turns a tool's result into a sentence a person can read. Results arrive as MCP tool results
 * (`content` text parts and/or `structuredContent`) or plain JSON; the built-in tools get phrasing
 * of their own, anything else a compact summary.
 */

function record(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The structured part of a result, if it has one. */
export function structuredOf(result: unknown): Record<string, unknown> | null {
  const object = record(result);
  if (object === null) return null;
  return record(object.structuredContent) ?? (Array.isArray(object.content) ? null : object);
}

/** The text parts of an MCP result, joined. */
export function textOf(result: unknown): string | null {
  if (typeof result === "string") return result;
  const object = record(result);
  if (object === null || !Array.isArray(object.content)) return null;
  const texts = object.content
    .map((part) => record(part))
    .filter((part): part is Record<string, unknown> => part !== null && part.type === "text" && typeof part.text === "string")
    .map((part) => String(part.text));
  return texts.length > 0 ? texts.join("\n") : null;
}

function compact(value: Record<string, unknown>): string {
  return Object.entries(value)
    .filter(([, v]) => ["string", "number", "boolean"].includes(typeof v))
    .slice(0, 6)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(", ");
}

function numberIn(result: unknown): string | null {
  const structured = structuredOf(result);
  for (const key of ["value", "result"]) {
    const v = structured?.[key];
    if (typeof v === "number" || (typeof v === "string" && v.trim() !== "")) return String(v);
  }
  const text = textOf(result);
  const match = text?.match(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?!.*\d)/i);
  return match ? match[0] : null;
}

export function describeToolResult(tool: string, args: Record<string, unknown>, result: unknown): string {
  const structured = structuredOf(result);
  const text = textOf(result);
  switch (tool) {
    case "calculator.evaluate": {
      const value = numberIn(result);
      const expression = typeof args.expression === "string" ? args.expression : "the expression";
      if (value !== null) return `${expression} = ${value}.`;
      break;
    }
    case "notes.save":
      return `I saved the note “${typeof args.title === "string" ? args.title : "untitled"}”.`;
    case "github.get_repo": {
      if (structured !== null && typeof structured.full_name === "string") {
        const facts = [
          typeof structured.description === "string" && structured.description ? structured.description : null,
          typeof structured.stars === "number" || typeof structured.stargazers_count === "number"
            ? `${String(structured.stars ?? structured.stargazers_count)} stars`
            : null,
          typeof structured.open_issues === "number" || typeof structured.open_issues_count === "number"
            ? `${String(structured.open_issues ?? structured.open_issues_count)} open issues`
            : null,
          typeof structured.language === "string" ? `written mostly in ${structured.language}` : null,
        ].filter(Boolean);
        return `${structured.full_name}: ${facts.join("; ")}.`;
      }
      break;
    }
  }
  if (text !== null) return `${tool} returned: ${text.trim().slice(0, 600)}`;
  if (structured !== null) return `${tool} returned ${compact(structured)}.`;
  return `${tool} returned ${JSON.stringify(result)?.slice(0, 600) ?? "nothing"}.`;
}
