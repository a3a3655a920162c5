// Model output is untrusted, and a markdown parser's cost is not linear on every input: runs of
// emphasis delimiters, deep nesting and huge blocks make marked (and the sanitizer after it) take
// seconds or overflow the stack. Before a block is parsed, one linear pass measures what makes it
// expensive; past these limits the block is shown as escaped plain text instead — every character
// still on screen, nothing formatted. Limits are far above what real answers use (a 40-row table
// with bold cells has ~200 delimiters).

/** Characters in one block (paragraph, list, table, code fence) that are parsed as markdown. */
export const MAX_BLOCK_CHARS = 40_000;
/** Characters of one answer parsed as markdown at all; the rest is shown as text. */
export const MAX_MARKDOWN_CHARS = 200_000;
/** Blockquote and list levels in one block. */
export const MAX_NESTING = 12;
/** Emphasis, code, link and HTML delimiters in one block outside code fences. */
export const MAX_DELIMITERS = 1_500;
/** Table cell separators in one block (a 100-row, 10-column table has 1,100). */
export const MAX_TABLE_PIPES = 2_500;
/** Brace depth outside code fences (KaTeX recurses per level, whichever math delimiters are used). */
export const MAX_MATH_DEPTH = 24;

export type PlainReason = "size" | "nesting" | "delimiters" | "table" | "math";

// A line's container prefix: optional indent, then `>` or a list marker followed by a space.
const CONTAINER = /^ {0,3}(?:>|[-+*] |\d{1,9}[.)] )/;

/** How deep `line` nests blockquotes and lists (indentation counts a level per two spaces). */
function nesting(line: string): number {
  let depth = 0;
  let rest = line;
  // Indentation nests lists; counted in steps of two spaces, a tab as four.
  const indent = /^[ \t]*/.exec(rest)?.[0] ?? "";
  const width = indent.replaceAll("\t", "    ").length;
  depth += Math.floor(width / 2);
  rest = rest.slice(indent.length);
  for (let i = 0; i < 10_000; i++) {
    const m = CONTAINER.exec(rest);
    if (!m) break;
    depth += 1;
    rest = rest.slice(m[0].length);
    if (depth > MAX_NESTING) break;
  }
  return depth;
}

/** Why `block` must be shown as plain text, or null when it is safe to parse. */
export function plainReason(block: string): PlainReason | null {
  if (block.length > MAX_BLOCK_CHARS) return "size";
  let inFence = false;
  let delimiters = 0;
  let braces = 0;
  let pipes = 0;
  let lineStart = 0;
  while (lineStart <= block.length) {
    const nl = block.indexOf("\n", lineStart);
    const lineEnd = nl === -1 ? block.length : nl;
    const line = block.slice(lineStart, lineEnd);
    if (/^\s{0,3}(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence) {
      if (nesting(line) > MAX_NESTING) return "nesting";
      for (let i = 0; i < line.length; i++) {
        const c = line.charCodeAt(i);
        // * _ ` [ ] ~ < — the characters marked's inline rules backtrack over.
        if (c === 42 || c === 95 || c === 96 || c === 91 || c === 93 || c === 126 || c === 60) delimiters++;
        else if (c === 124) pipes++;
        else if (c === 123) {
          braces++;
          if (braces > MAX_MATH_DEPTH) return "math";
        } else if (c === 125 && braces > 0) braces--;
      }
      if (delimiters > MAX_DELIMITERS) return "delimiters";
      if (pipes > MAX_TABLE_PIPES) return "table";
    }
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  return null;
}
