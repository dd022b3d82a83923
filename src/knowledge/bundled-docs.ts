/**
 * The markdown documents shipped with the engine (`data/docs/*.md`), bundled as text modules by
 * the wrangler `[[rules]] type = "Text"` rule (the same rule serves `wrangler dev`, deploy and the
 * vitest pool). Adding a file to `data/docs` means adding it here too; a test compares this list
 * with the directory. The document id is the file name without `.md`.
 */
import type { DocumentInput } from "../engine/retrieval/documents";
import approvals from "../../data/docs/approvals.md";
import authentication from "../../data/docs/authentication.md";
import companionGuidelines from "../../data/docs/companion-guidelines.md";
import deployment from "../../data/docs/deployment.md";
import durabilityAndRetries from "../../data/docs/durability-and-retries.md";
import errors from "../../data/docs/errors.md";
import eventStreaming from "../../data/docs/event-streaming.md";
import knowledgeBase from "../../data/docs/knowledge-base.md";
import observability from "../../data/docs/observability.md";
import offlinePlanner from "../../data/docs/offline-planner.md";
import overview from "../../data/docs/overview.md";
import plansAndBilling from "../../data/docs/plans-and-billing.md";
import privacyAndRetention from "../../data/docs/privacy-and-retention.md";
import startingRuns from "../../data/docs/starting-runs.md";
import toolsAndMcp from "../../data/docs/tools-and-mcp.md";

/** The bundled documents, in file-name order. */
export const BUNDLED_DOCUMENTS: readonly DocumentInput[] = [
  { document_id: "approvals", text: approvals, metadata: { source: "data/docs/approvals.md" } },
  { document_id: "authentication", text: authentication, metadata: { source: "data/docs/authentication.md" } },
  { document_id: "companion-guidelines", text: companionGuidelines, metadata: { source: "data/docs/companion-guidelines.md" } },
  { document_id: "deployment", text: deployment, metadata: { source: "data/docs/deployment.md" } },
  { document_id: "durability-and-retries", text: durabilityAndRetries, metadata: { source: "data/docs/durability-and-retries.md" } },
  { document_id: "errors", text: errors, metadata: { source: "data/docs/errors.md" } },
  { document_id: "event-streaming", text: eventStreaming, metadata: { source: "data/docs/event-streaming.md" } },
  { document_id: "knowledge-base", text: knowledgeBase, metadata: { source: "data/docs/knowledge-base.md" } },
  { document_id: "observability", text: observability, metadata: { source: "data/docs/observability.md" } },
  { document_id: "offline-planner", text: offlinePlanner, metadata: { source: "data/docs/offline-planner.md" } },
  { document_id: "overview", text: overview, metadata: { source: "data/docs/overview.md" } },
  { document_id: "plans-and-billing", text: plansAndBilling, metadata: { source: "data/docs/plans-and-billing.md" } },
  { document_id: "privacy-and-retention", text: privacyAndRetention, metadata: { source: "data/docs/privacy-and-retention.md" } },
  { document_id: "starting-runs", text: startingRuns, metadata: { source: "data/docs/starting-runs.md" } },
  { document_id: "tools-and-mcp", text: toolsAndMcp, metadata: { source: "data/docs/tools-and-mcp.md" } },
];
