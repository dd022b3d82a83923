/**
 * The guardrail layers, pure: the steps import from here and turn verdicts into events.
 *
 * - `gateInput`            receive: the message (hidden characters, secrets, personal data, categories)
 * - `detectInjection`      receive/retrieve/act: a message, chunk, tool input or tool result
 * - `sanitizeContext`      retrieve: chunks (and `sanitizeEvidence` for one tool result)
 * - `OutputStreamGuard`    respond: the stream (`push`/`end`), then `checkAnswer` in verify
 * - `approvalWarnings`     act: `approval.requested.warnings` and the escaped arguments
 * - `checkToolInput`/`checkToolResult`  act/deliver: the detector on a tool's input and output
 */
export * from "./verdict";
export * from "./policy";
export { gateInput, refusalFor, type InputGateResult } from "./input-gate";
export { ANY_TOOL, detectInjection, type DetectOptions } from "./injection-detector";
export { sanitizeContext, sanitizeEvidence, fenceEvidence, neutraliseFences, REMOVED_MARK, WITHHELD_MARK } from "./context-sanitizer";
export type { EvidenceItem, EvidenceKind, Removal, SanitizedContext, SanitizedEvidence, SanitizeOptions } from "./context-sanitizer";
export { OutputStreamGuard, validateOutput, type OutputGuardOptions, type StreamStep } from "./output-validator";
export { checkAnswer, type AnswerCheck, type AnswerCheckInput } from "./answer-check";
export { approvalWarnings, escapeJson, checkToolInput, checkToolResult, toolResultText, type ApprovalWarning, type ApprovalWarnings, type UpstreamDetection } from "./tool-guard";
export { findSensitive, isCardNumber, luhn, type SensitiveMatch } from "./sensitive";
export { findHidden, stripHidden, escapeHidden, decodeTagText } from "./unicode";
