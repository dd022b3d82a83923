/**
 * The github client's URL builder on its own, given raw strings that skipped every schema: it
 * percent-encodes each segment and refuses anything that would leave `{base}/repos/{owner}/{repo}`.
 */
import { describe, expect, it } from "vitest";
import { GitHubError, GitHubOwner, GitHubRepo, repoUrl } from "../../../src/tools/servers/github-api";

const BASE = "https://api.github.test";

describe("repoUrl", () => {
  it("builds /repos/{owner}/{repo}, with further segments and a query, under a base that has a path", () => {
    expect(repoUrl(BASE, "octo", "engine").href).toBe("https://api.github.test/repos/octo/engine");
    expect(repoUrl(`${BASE}/`, "octo", ".github").href).toBe("https://api.github.test/repos/octo/.github");
    const issues = repoUrl("https://ghe.example/api/v3/", "octo", "a..b", ["issues"], new URLSearchParams({ state: "all" }));
    expect(issues.href).toBe("https://ghe.example/api/v3/repos/octo/a..b/issues?state=all");
  });

  it.each([
    ["..", "user"],
    [".", "x"],
    ["octo", ".."],
    ["octo", "."],
    ["", "x"],
    ["octo", ""],
    ["%2e%2e", "user"],
    ["octo", "%2e%2e"],
    ["octo", "a/b"],
    ["octo", "..%2f.."],
    ["octo@evil.example", "x"],
    ["//evil.example", "x"],
    ["https:", "//evil.example"],
    ["\\\\evil.example", "x"],
    ["\uFF0E\uFF0E", "x"],
    ["octo", "\u2215etc"],
    ["octo", "a?b"],
    ["octo", "a#b"],
    ["octo\n", "x"],
    ["o".repeat(40), "x"],
    ["octo", "r".repeat(101)],
  ])("refuses owner %j, repo %j", (owner, repo) => {
    expect(() => repoUrl(BASE, owner, repo)).toThrow(GitHubError);
  });

  it("refuses a further segment that is empty or a dot segment, and encodes the others", () => {
    for (const segment of ["..", ".", ""]) expect(() => repoUrl(BASE, "octo", "engine", [segment])).toThrow(/leave the repository's API path/);
    expect(repoUrl(BASE, "octo", "engine", ["a/../../b"]).href).toBe("https://api.github.test/repos/octo/engine/a%2F..%2F..%2Fb");
    expect(repoUrl(BASE, "octo", "engine", ["%2e%2e"]).href).toBe("https://api.github.test/repos/octo/engine/%252e%252e");
  });
});

describe("GitHub name rules", () => {
  it.each(["octo", "Octo-Cat9", "a", "o".repeat(39), "legacy--name", "trailing-"])("accepts the login %j", (name) => {
    expect(GitHubOwner.safeParse(name).success).toBe(true);
  });
  it.each(["-octo", "o".repeat(40), "a_b", "a.b", "", "octo/x"])("refuses the login %j", (name) => {
    expect(GitHubOwner.safeParse(name).success).toBe(false);
  });
  it.each(["engine", ".github", "a..b", "...", "my_repo-1.0.git", "r".repeat(100), "_"])("accepts the repository name %j", (name) => {
    expect(GitHubRepo.safeParse(name).success).toBe(true);
  });
  it.each([".", "..", "", "r".repeat(101), "a b", "a/b", "é"])("refuses the repository name %j", (name) => {
    expect(GitHubRepo.safeParse(name).success).toBe(false);
  });
});
