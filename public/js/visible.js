// Makes hidden characters visible: zero-width, bidi controls, other format and control characters,
// unusual spaces, variation selectors and tag characters each become a marked ⟨U+XXXX NAME⟩, so
// that what a person approves is the text that is stored, not what a renderer chooses to show.

const NAMES = {
  0x00a0: "NBSP",
  0x00ad: "SOFT HYPHEN",
  0x034f: "CGJ",
  0x061c: "ALM",
  0x115f: "HANGUL FILLER",
  0x1160: "HANGUL FILLER",
  0x180e: "MVS",
  0x200b: "ZERO WIDTH SPACE",
  0x200c: "ZWNJ",
  0x200d: "ZWJ",
  0x200e: "LRM",
  0x200f: "RLM",
  0x2028: "LINE SEPARATOR",
  0x2029: "PARAGRAPH SEPARATOR",
  0x202a: "LRE",
  0x202b: "RLE",
  0x202c: "PDF",
  0x202d: "LRO",
  0x202e: "RLO",
  0x202f: "NNBSP",
  0x2060: "WORD JOINER",
  0x2061: "FUNCTION APPLICATION",
  0x2062: "INVISIBLE TIMES",
  0x2063: "INVISIBLE SEPARATOR",
  0x2064: "INVISIBLE PLUS",
  0x2066: "LRI",
  0x2067: "RLI",
  0x2068: "FSI",
  0x2069: "PDI",
  0x3000: "IDEOGRAPHIC SPACE",
  0x3164: "HANGUL FILLER",
  0xfeff: "BOM / ZWNBSP",
  0xffa0: "HALFWIDTH HANGUL FILLER",
  0xfffc: "OBJECT REPLACEMENT",
};

const BIDI = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

// Control, format, private-use, surrogate and separator characters, odd spaces, variation
// selectors and tag characters. Newline and tab are left alone: JSON indentation uses them, and a
// newline inside a JSON string value is already escaped as \n.
const HIDDEN =
  /(?![\n\t])[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}\u00a0\u034f\u115f\u1160\u180e\u2000-\u200a\u202f\u205f\u3000\u3164\uffa0\ufe00-\ufe0f\ufffc\u{e0000}-\u{e007f}\u{e0100}-\u{e01ef}]/gu;

function label(cp) {
  const hex = cp.toString(16).toUpperCase().padStart(4, "0");
  let name = NAMES[cp];
  if (name === undefined && cp >= 0xe0000 && cp <= 0xe007f) name = "TAG";
  if (name === undefined && ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef))) name = "VARIATION SELECTOR";
  if (name === undefined && cp < 0x20) name = "CONTROL";
  return name === undefined ? `U+${hex}` : `U+${hex} ${name}`;
}

/** Every hidden character of `text`: [{index, codePoint, label, bidi}]. */
export function hiddenChars(text) {
  const found = [];
  for (const match of String(text).matchAll(HIDDEN)) {
    const cp = match[0].codePointAt(0);
    found.push({ index: match.index, codePoint: cp, label: label(cp), bidi: BIDI.has(cp) });
  }
  return found;
}

/** A fragment showing `text` with each hidden character replaced by a visible, labelled mark. */
export function visibleText(text) {
  const fragment = document.createDocumentFragment();
  const source = String(text);
  let last = 0;
  for (const match of source.matchAll(HIDDEN)) {
    if (match.index > last) fragment.append(source.slice(last, match.index));
    const cp = match[0].codePointAt(0);
    const mark = document.createElement("mark");
    mark.className = BIDI.has(cp) ? "hidden-char bidi" : "hidden-char";
    mark.textContent = `⟨${label(cp)}⟩`;
    mark.title = `hidden character ${label(cp)}`;
    fragment.append(mark);
    last = match.index + match[0].length;
  }
  if (last < source.length) fragment.append(source.slice(last));
  return fragment;
}

/** A <pre> of `text` made visible, isolated from the page's direction, with a count of what was found. */
export function visiblePre(text, className = "code") {
  const pre = document.createElement("pre");
  pre.className = className;
  pre.dir = "ltr";
  pre.append(visibleText(text));
  return pre;
}
