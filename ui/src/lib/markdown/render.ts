// Model output is untrusted: markdown becomes HTML with raw HTML shown as text, then DOMPurify removes
// anything executable that could still slip through (event handlers, javascript: URLs, forms, frames).
// Code blocks are highlighted (highlight.js) and math typeset (KaTeX, MathML) before sanitizing.
// Answers are rendered a block at a time behind a linear-time guard (guard.ts): a block that is too
// big, too deep or too dense to parse in bounded time, or that makes the parser throw, is shown as
// escaped text instead, so no answer can freeze the window or vanish from it.
import DOMPurify from "dompurify";
import { splitBlocks } from "./blocks";
import { MAX_MARKDOWN_CHARS, type PlainReason, plainReason } from "./guard";
import { Marked, type Tokens } from "marked";
import { escapeHtml, highlightCode, languageOf } from "./highlight";
import { mathExtension } from "./math";

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // Raw HTML in the model's text is shown, never interpreted.
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
    // A code block with its language above it; the window adds the copy button.
    code(token: Tokens.Code): string {
      const language = languageOf(token.lang);
      const label = escapeHtml(language || "text");
      const cls = language ? `hljs language-${escapeHtml(language)}` : "hljs";
      const body = highlightCode(token.text, language);
      return `<div class="code-block"><div class="code-head"><span class="code-lang">${label}</span></div><pre><code class="${cls}">${body}</code></pre></div>\n`;
    },
  },
});
marked.use(mathExtension);

// MathML stays allowed for KaTeX (raw HTML, <math> included, never reaches here unescaped).
const FORBID_TAGS = [
  "style",
  "form",
  "input",
  "button",
  "textarea",
  "select",
  "iframe",
  "object",
  "embed",
  "svg",
  "maction",
  "annotation-xml",
];

let hooked = false;
function purifier(): typeof DOMPurify {
  if (!hooked) {
    // Links open outside the app (the shell hands them to the system browser), never in the webview.
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A") {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer");
      }
    });
    hooked = true;
  }
  return DOMPurify;
}

const SANITIZE = {
  FORBID_TAGS,
  FORBID_ATTR: ["style", "srcset"],
  ALLOW_DATA_ATTR: false,
  // http(s), mailto, fragments, and values without a scheme (DOMPurify checks every attribute's value
  // with this, so "block" in <math display="block"> or "3" in <ol start="3"> must pass too).
  ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|#|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
};

/** HTML from marked and the model, made safe to put in the page. */
function sanitize(html: string): string {
  return purifier().sanitize(html, SANITIZE);
}

/** Markdown to sanitized HTML, safe to put in the page. */
export function renderMarkdown(text: string): string {
  return sanitize(marked.parse(text) as string);
}

/** A block's HTML, and why it is plain text when it is. */
export interface RenderedBlock {
  html: string;
  plain: PlainReason | "error" | null;
}

/** Text shown as it is: escaped, line breaks kept, never parsed. */
export function plainHtml(text: string): string {
  return `<div class="md-plain">${escapeHtml(text)}</div>`;
}

// Parsed blocks, by their text: a conversation opened again, or an answer opened after it streamed,
// costs no parsing (KaTeX, highlight.js and marked), and the same run of blocks no sanitizing either.
// Each cache is bounded by the characters it keeps.
const CACHE_CHARS = 4_000_000;
const parsed = new Map<string, RenderedBlock>();

/** One block as unsanitized HTML (marked's, or escaped plain text). */
function parseBlock(text: string): RenderedBlock {
  const hit = parsed.get(text);
  if (hit) {
    // Most recently used last, so the oldest go first.
    parsed.delete(text);
    parsed.set(text, hit);
    return hit;
  }
  const reason = plainReason(text);
  let block: RenderedBlock;
  if (reason) block = { html: plainHtml(text), plain: reason };
  else {
    try {
      block = { html: marked.parse(text) as string, plain: null };
    } catch (e) {
      // E.g. a RangeError from recursion the guard did not foresee: the text is still shown.
      console.warn("markdown rendering failed; showing the text", e);
      block = { html: plainHtml(text), plain: "error" };
    }
  }
  remember(parsed, text, block);
  return block;
}

const sanitized = new Map<string, string>();
const sizes = new WeakMap<Map<string, unknown>, number>();

/** Keeps `value` under `key` in `cache`, dropping the least recently used past CACHE_CHARS. */
function remember<V extends string | RenderedBlock>(cache: Map<string, V>, key: string, value: V): void {
  const size = (k: string, v: V) => k.length + (typeof v === "string" ? v.length : v.html.length);
  cache.set(key, value);
  let total = (sizes.get(cache) ?? 0) + size(key, value);
  for (const [k, v] of cache) {
    if (total <= CACHE_CHARS) break;
    cache.delete(k);
    total -= size(k, v);
  }
  sizes.set(cache, total);
}

/** One block (see blocks.ts) as sanitized HTML, or as plain text when parsing it is unsafe. */
export function renderBlock(text: string): RenderedBlock {
  const block = parseBlock(text);
  try {
    return { html: sanitize(block.html), plain: block.plain };
  } catch (e) {
    // The sanitizer can overflow its stack on pathological markup: the text is still shown.
    console.warn("sanitizing failed; showing the text", e);
    return { html: plainHtml(text), plain: "error" };
  }
}

/** Several blocks, each parsed on its own (and guarded), sanitized together in one pass; past
 * `budget` characters in all, blocks are shown as plain text. */
export function renderBlocks(
  blocks: readonly string[],
  budget = Number.POSITIVE_INFINITY,
): { html: string; plainBlocks: number } {
  const parsedBlocks: { text: string; block: RenderedBlock }[] = [];
  let left = budget;
  for (const text of blocks) {
    if (text.trim() === "") continue;
    if (text.length > left) {
      parsedBlocks.push({ text, block: { html: plainHtml(text), plain: "size" } });
      continue;
    }
    left -= text.length;
    parsedBlocks.push({ text, block: parseBlock(text) });
  }
  const plainBlocks = parsedBlocks.filter((p) => p.block.plain).length;
  if (parsedBlocks.length === 0) return { html: "", plainBlocks: 0 };
  try {
    const unsafe = parsedBlocks.map((p) => p.block.html).join("");
    // The same blocks again (a conversation reopened) skip the sanitizer too: its output for the same
    // input is the same.
    let html = sanitized.get(unsafe);
    if (html === undefined) {
      html = sanitize(unsafe);
      remember(sanitized, unsafe, html);
    }
    return { html, plainBlocks };
  } catch {
    // One pass failed: block by block, so only the block that breaks the sanitizer is plain.
    const rendered = parsedBlocks.map((p) => renderBlock(p.text));
    return { html: rendered.map((r) => r.html).join(""), plainBlocks: rendered.filter((r) => r.plain).length };
  }
}

/** A whole answer: each block rendered on its own, and at most MAX_MARKDOWN_CHARS parsed in all. */
export function renderAnswer(text: string): { html: string; plainBlocks: number } {
  return renderBlocks(splitBlocks(text), MAX_MARKDOWN_CHARS);
}
