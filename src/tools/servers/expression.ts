/**
 * A safe arithmetic evaluator for the calculator server: a recursive-descent parser over a small
 * grammar, never `eval` or `Function` (Workers forbid code generation, and it would be unsafe).
 *
 *   expr    := term (("+" | "-") term)*
 *   term    := unary (("*" | "/") unary)*
 *   unary   := ("-" | "+") unary | power
 *   power   := primary ("^" unary)?        right-associative; -2^2 = -(2^2), 2^-1 = 0.5
 *   primary := number | "(" expr ")"
 *   number  := digits ["." digits] | "." digits
 *
 * Every failure is an `ExpressionError` with a message a person can act on.
 */

export class ExpressionError extends Error {
  readonly code: "division_by_zero" | "malformed_expression" | "not_finite";
  constructor(code: ExpressionError["code"], message: string) {
    super(message);
    this.name = "ExpressionError";
    this.code = code;
  }
}

export const MAX_EXPRESSION_LENGTH = 1000;
const MAX_DEPTH = 64;

type Token = { kind: "num"; value: number; pos: number } | { kind: "op"; value: string; pos: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if ("+-*/^()".includes(ch)) {
      tokens.push({ kind: "op", value: ch, pos: i });
      i++;
      continue;
    }
    const match = /^(\d+(\.\d+)?|\.\d+)/.exec(source.slice(i));
    if (match) {
      const text = match[0];
      if (source[i + text.length] === ".") {
        throw new ExpressionError("malformed_expression", `malformed number at position ${i + 1}`);
      }
      tokens.push({ kind: "num", value: Number(text), pos: i });
      i += text.length;
      continue;
    }
    throw new ExpressionError("malformed_expression", `unexpected character '${ch}' at position ${i + 1}`);
  }
  return tokens;
}

class Parser {
  private index = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): number {
    if (this.tokens.length === 0) throw new ExpressionError("malformed_expression", "empty expression");
    const value = this.expr();
    const extra = this.tokens[this.index];
    if (extra) throw this.unexpected(extra);
    return value;
  }

  private peekOp(): string | undefined {
    const token = this.tokens[this.index];
    return token?.kind === "op" ? token.value : undefined;
  }

  private unexpected(token: Token | undefined): ExpressionError {
    if (!token) return new ExpressionError("malformed_expression", "unexpected end of expression");
    const text = token.kind === "num" ? String(token.value) : token.value;
    return new ExpressionError("malformed_expression", `unexpected '${text}' at position ${token.pos + 1}`);
  }

  private nest<T>(inner: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new ExpressionError("malformed_expression", "expression is nested too deeply");
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }

  private expr(): number {
    let value = this.term();
    for (let op = this.peekOp(); op === "+" || op === "-"; op = this.peekOp()) {
      this.index++;
      const right = this.term();
      value = op === "+" ? value + right : value - right;
    }
    return value;
  }

  private term(): number {
    let value = this.unary();
    for (let op = this.peekOp(); op === "*" || op === "/"; op = this.peekOp()) {
      this.index++;
      const right = this.unary();
      if (op === "/" && right === 0) throw new ExpressionError("division_by_zero", "division by zero");
      value = op === "*" ? value * right : value / right;
    }
    return value;
  }

  private unary(): number {
    const op = this.peekOp();
    if (op === "-" || op === "+") {
      this.index++;
      const operand = this.nest(() => this.unary());
      return op === "-" ? -operand : operand;
    }
    return this.power();
  }

  private power(): number {
    const base = this.primary();
    if (this.peekOp() !== "^") return base;
    this.index++;
    const exponent = this.nest(() => this.unary());
    return base ** exponent;
  }

  private primary(): number {
    const token = this.tokens[this.index];
    if (token?.kind === "num") {
      this.index++;
      return token.value;
    }
    if (token?.kind === "op" && token.value === "(") {
      this.index++;
      const value = this.nest(() => this.expr());
      const close = this.tokens[this.index];
      if (close?.kind !== "op" || close.value !== ")") {
        throw close ? this.unexpected(close) : new ExpressionError("malformed_expression", "missing closing parenthesis");
      }
      this.index++;
      return value;
    }
    throw this.unexpected(token);
  }
}

/**
 * Evaluates an arithmetic expression. Non-integer results are rounded to 15 significant digits so
 * that binary floating-point noise (0.1 + 0.2) does not reach the answer.
 */
export function evaluateExpression(source: string): number {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionError("malformed_expression", `expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  const value = new Parser(tokenize(source)).parse();
  if (!Number.isFinite(value)) throw new ExpressionError("not_finite", "the result is not a finite number");
  if (Number.isInteger(value)) return value === 0 ? 0 : value;
  return Number(value.toPrecision(15));
}
