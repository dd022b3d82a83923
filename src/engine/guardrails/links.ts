/**
 * Links in model output: markdown links and images, reference definitions, autolinks and bare URLs,
 * the host each points to, and whether an allowlist of host patterns admits it. A URL with a
 * scheme other than http(s), or one that does not parse, is never admitted; a relative URL (same
 * site) always is.
 */

export type LinkKind = "image" | "link" | "reference" | "bare";

export interface LinkMatch {
  kind: LinkKind;
  start: number;
  end: number;
  /** The link's text or the image's alt text ("" for bare URLs). */
  label: string;
  url: string;
}

const IMAGE = /!\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g;
const LINK = /(?<!!)\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/g;
const REFERENCE = /^[ \t]{0,3}\[([^\]\n]{1,300})\]:[ \t]*<?(\S+?)>?(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'))?[ \t]*$/gm;
const BARE = /<?\b(?:(?:https?|ftp|wss?):\/\/|www\.)[^\s<>"'`)\]]+>?/gi;
const SCHEME_LINK = /\b(?:javascript|data|vbscript|file|mailto):[^\s)\]>"']+/gi;

export function findLinks(text: string, from = 0): LinkMatch[] {
  const out: LinkMatch[] = [];
  const taken: Array<[number, number]> = [];
  const add = (kind: LinkKind, start: number, end: number, label: string, url: string) => {
    if (start < from || taken.some(([s, e]) => start < e && s < end)) return;
    taken.push([start, end]);
    out.push({ kind, start, end, label, url });
  };
  const scan = (re: RegExp, kind: LinkKind) => {
    re.lastIndex = from;
    for (let m = re.exec(text); m; m = re.exec(text)) add(kind, m.index, m.index + m[0].length, m[1] ?? "", m[2] ?? "");
  };
  if (text.includes("](")) {
    scan(IMAGE, "image");
    scan(LINK, "link");
  }
  if (text.includes("]:")) scan(REFERENCE, "reference");
  BARE.lastIndex = from;
  for (let m = BARE.exec(text); m; m = BARE.exec(text)) {
    let raw = m[0];
    // Sentence punctuation after a bare URL is not part of it.
    const trimmed = raw.replace(/[.,;:!?]+$/, "");
    raw = trimmed;
    add("bare", m.index, m.index + raw.length, "", raw.replace(/^<|>$/g, ""));
  }
  SCHEME_LINK.lastIndex = from;
  for (let m = SCHEME_LINK.exec(text); m; m = SCHEME_LINK.exec(text)) add("bare", m.index, m.index + m[0].length, "", m[0]);
  return out.sort((a, b) => a.start - b.start);
}

/** The host a URL points to, "" for a relative URL, null when it cannot be judged safe. */
export function hostOf(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed === "") return "";
  if (/^(?:#|\/(?!\/)|\.\.?\/|\?)/.test(trimmed)) return "";
  const absolute = /^www\./i.test(trimmed) ? `http://${trimmed}` : /^\/\//.test(trimmed) ? `http:${trimmed}` : trimmed;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(absolute)) {
    // No scheme: `page.html` is relative, `evil.example/x` is a host a renderer may link.
    return /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:[/:?#]|$)/i.test(trimmed) && !/\.(?:html?|md|png|jpe?g|gif|svg|pdf|txt)$/i.test(trimmed) ? hostOf(`http://${trimmed}`) : "";
  }
  if (!/^(?:https?|wss?|ftp):/i.test(absolute)) return null;
  try {
    return new URL(absolute).hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return null;
  }
}

/** `example.com` admits it and its subdomains; `*.example.com` its subdomains only. */
export function hostAllowed(host: string | null, allowlist: readonly string[]): boolean {
  if (host === null) return false;
  if (host === "") return true;
  return allowlist.some((pattern) => {
    if (pattern.startsWith("*.")) return host.endsWith(pattern.slice(1));
    return host === pattern || host.endsWith(`.${pattern}`);
  });
}

/** A comparable form of a URL: no scheme, no `www.`, no trailing slash or punctuation, lower-case host. */
export function urlKey(url: string): string {
  return url
    .trim()
    .replace(/^<|>$/g, "")
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
    .replace(/^www\./i, "")
    .replace(/[/.,;:!?]+$/, "")
    .replace(/^[^/]+/, (host) => host.toLowerCase());
}

/** The URLs that appear in evidence texts, as `urlKey`s. */
export function evidenceUrls(texts: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const text of texts) for (const link of findLinks(text)) if (link.url) keys.add(urlKey(link.url));
  return keys;
}
