/**
 * The mark on everything the fake GitHub API (fake-github.ts) answers outside `/repos/...`: the
 * token owner's private data. Shared by the fake (Node) and the tests (workerd), so plain data only.
 */
export const PRIVATE_MARKER = "PRIVATE-token-owner-data";
