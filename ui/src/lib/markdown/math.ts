// Math in answers with KaTeX: $…$ and \(…\) inline, $$…$$ and \[…\] as blocks. KaTeX writes MathML
// only (no inline styles, no fonts to ship); its TeX annotation is dropped so the source is not shown
// twice. `trust` stays off (no \href, no \includegraphics) and the output still goes through DOMPurify.
import katex from "katex";
import type { MarkedExtension, Tokens } from "marked";

function tex(source: string, displayMode: boolean): string {
  const html = katex.renderToString(source, {
    displayMode,
    output: "mathml",
    throwOnError: false,
    trust: false,
    strict: "ignore",
    maxExpand: 1000,
    maxSize: 20,
  });
  return html.replace(/<annotation[\s\S]*?<\/annotation>/g, "").replace(/<\/?semantics>/g, "");
}

interface MathToken extends Tokens.Generic {
  text: string;
  display: boolean;
}

const BLOCK = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/;
// $x$: no space just inside the dollars and no digit right after (so "$5 and $6" stays text).
const INLINE = /^(?:\$\$([^$]+?)\$\$|\$(?!\s)((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)|\\\(([\s\S]+?)\\\))/;

export const mathExtension: MarkedExtension = {
  extensions: [
    {
      name: "blockMath",
      level: "block",
      start: (src: string) => src.match(/\$\$|\\\[/)?.index,
      tokenizer(src: string): MathToken | undefined {
        const m = BLOCK.exec(src);
        if (!m) return undefined;
        return { type: "blockMath", raw: m[0], text: (m[1] ?? m[2] ?? "").trim(), display: true };
      },
      renderer: (token) => `<div class="math-block">${tex((token as MathToken).text, true)}</div>\n`,
    },
    {
      name: "inlineMath",
      level: "inline",
      start: (src: string) => src.match(/\$|\\\(/)?.index,
      tokenizer(src: string): MathToken | undefined {
        const m = INLINE.exec(src);
        if (!m) return undefined;
        const display = m[1] !== undefined;
        return { type: "inlineMath", raw: m[0], text: (m[1] ?? m[2] ?? m[3] ?? "").trim(), display };
      },
      renderer: (token) => tex((token as MathToken).text, (token as MathToken).display),
    },
  ],
};
