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

/** Markdown to sanitized HTML, safe to put in the page. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text) as string;
  return purifier().sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR: ["style", "srcset"],
    ALLOW_DATA_ATTR: false,
    // http(s), mailto, fragments, and values without a scheme (DOMPurify checks every attribute's value
    // with this, so "block" in <math display="block"> or "3" in <ol start="3"> must pass too).
    ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|#|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
  });
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

/** One block (see blocks.ts) as sanitized HTML, or as plain text when parsing it is unsafe. */
export function renderBlock(text: string): RenderedBlock {
  const reason = plainReason(text);
  if (reason) return { html: plainHtml(text), plain: reason };
  try {
    return { html: renderMarkdown(text), plain: null };
  } catch (e) {
    // E.g. a RangeError from recursion the guard did not foresee: the text is still shown.
    console.warn("markdown rendering failed; showing the text", e);
    return { html: plainHtml(text), plain: "error" };
  }
}

/** A whole answer: each block rendered on its own, and at most MAX_MARKDOWN_CHARS parsed in all. */
export function renderAnswer(text: string): { html: string; plainBlocks: number } {
  let html = "";
  let plainBlocks = 0;
  let budget = MAX_MARKDOWN_CHARS;
  for (const block of splitBlocks(text)) {
    if (block.length > budget) {
      html += plainHtml(block);
      plainBlocks += 1;
      continue;
    }
    budget -= block.length;
    const rendered = renderBlock(block);
    html += rendered.html;
    if (rendered.plain) plainBlocks += 1;
  }
  return { html, plainBlocks };
}
