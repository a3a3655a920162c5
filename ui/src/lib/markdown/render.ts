// Model output is untrusted: markdown becomes HTML with raw HTML shown as text, then DOMPurify removes
// anything executable that could still slip through (event handlers, javascript: URLs, forms, frames).
// Code blocks are highlighted (highlight.js) and math typeset (KaTeX, MathML) before sanitizing.
import DOMPurify from "dompurify";
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
const FORBID_TAGS = ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed", "svg", "maction", "annotation-xml"];

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
