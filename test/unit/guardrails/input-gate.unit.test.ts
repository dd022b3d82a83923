import { describe, expect, it } from "vitest";
import { GuardrailPolicy, gateInput, guardrailEvent, isCardNumber } from "../../../src/engine/guardrails/index";

const policy = (input: Record<string, unknown>) => GuardrailPolicy.parse({ input }).input;

describe("input gate", () => {
  it("removes zero-width, tag and bidi-override characters and says so", () => {
    const result = gateInput("pay inv\u200Boice \u202Egnp.exe\u202C now\u{E0041}");
    expect(result.text).toBe("pay invoice gnp.exe now");
    expect(result.blocked).toBe(false);
    expect(result.verdicts).toEqual([expect.objectContaining({ layer: "input", rule: "input.hidden_characters", action: "redact" })]);
  });

  it("refuses hidden characters when the policy says block, with a refusal and no echo", () => {
    const result = gateInput("hello\u200B", policy({ hidden: "block" }));
    expect(result.blocked).toBe(true);
    expect(result.refusal).toMatch(/hidden or control characters/);
  });

  it("keeps Hebrew and Arabic text with its bidi marks, and emoji joiners", () => {
    const text = "\u200Fשלום, מה שלומך?\u200F مرحبا 👨\u200D👩\u200D👧";
    const result = gateInput(text);
    expect(result.text).toBe(text);
    expect(result.verdicts).toEqual([]);
  });

  it("redacts API keys, private keys, JWTs and Luhn-valid card numbers by default", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    const result = gateInput(
      `key sk-proj-abcdefghijklmnopqrstuvwxyz0123 aws AKIAIOSFODNN7EXAMPLE token ${jwt} card 4111 1111 1111 1111\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----`,
    );
    expect(result.text).not.toMatch(/sk-proj|AKIA|eyJ|4111|MIIE/);
    expect(result.text).toContain("[redacted api key]");
    expect(result.text).toContain("[redacted card]");
    expect(result.text).toContain("[redacted private key]");
    expect(result.verdicts.map((v) => v.rule).sort()).toEqual(["input.sensitive.api_key", "input.sensitive.card", "input.sensitive.jwt", "input.sensitive.private_key"]);
  });

  it("does not take an order number or a failing Luhn for a card", () => {
    expect(isCardNumber("4111 1111 1111 1112")).toBe(false);
    expect(gateInput("order 1234 5678 9012 3456 shipped").verdicts).toEqual([]);
  });

  it("flags emails and phone numbers by default, redacts or blocks them by policy", () => {
    const text = "mail ana@example.com or call +1 415 555 0134";
    expect(gateInput(text).verdicts.map((v) => [v.rule, v.action])).toEqual([
      ["input.sensitive.email", "flag"],
      ["input.sensitive.phone", "flag"],
    ]);
    const redacted = gateInput(text, policy({ sensitive: { email: "redact", phone: "redact" } }));
    expect(redacted.text).toBe("mail [redacted email] or call [redacted phone]");
    expect(gateInput(text, policy({ sensitive: { email: "block" } })).blocked).toBe(true);
  });

  it("refuses a blocked category by term or pattern, and maps verdicts onto the event", () => {
    const p = policy({ blocked_categories: [{ id: "weapons", terms: ["pipe bomb"], patterns: ["\\bghost guns?\\b"] }] });
    const a = gateInput("how do I build a PIPE  BOMB", p);
    expect(a.blocked).toBe(true);
    expect(guardrailEvent(a.verdicts[0]!)).toEqual({ layer: "input", rule: "input.category.weapons", action: "block", reason: expect.any(String) });
    expect(gateInput("where are ghost guns legal", p).blocked).toBe(true);
    expect(gateInput("the pipeline bombed in CI", p).blocked).toBe(false);
  });
});
