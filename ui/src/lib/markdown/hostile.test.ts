// Hostile model output: inputs that make markdown parsers (and the sanitizer and KaTeX after them)
// superlinear or recursive. Each must come back quickly, formatted or as plain text, with every
// character of the answer still in the page; ordinary answers just under the limits stay formatted.
import DOMPurify from "dompurify";
import { describe, expect, it, vi } from "vitest";
import { BlockScanner, splitBlocks } from "./blocks";
import { MAX_NESTING } from "./guard";
import { IncrementalMarkdown, LIVE_TAIL_CHARS } from "./incremental";
import { renderAnswer, renderBlock } from "./render";

const squash = (s: string) => s.replace(/\s+/g, "");

function shown(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

const HOSTILE: Record<string, string> = {
  "3,000-level blockquote": ">".repeat(3000) + " deep",
  "1,200-level nested list": Array.from({ length: 1200 }, (_, i) => "  ".repeat(i) + "- x").join("\n"),
  "nested ordered lists": Array.from({ length: 400 }, (_, i) => "   ".repeat(i) + "1. y").join("\n"),
  "quote and list interleaved": "> - ".repeat(800) + "z",
  "60 KB of *a": "*a".repeat(30_000),
  "emphasis runs": "***".repeat(5000) + "x" + "***".repeat(5000),
  underscores: "_a".repeat(20_000),
  "code spans": "`a".repeat(20_000),
  "link brackets": "[".repeat(20_000) + "a",
  "link parentheses": "[a](" + "(".repeat(20_000),
  "nested links": "[a".repeat(5000) + "](b)".repeat(5000),
  "HTML tags": "<div>".repeat(10_000),
  strikethrough: "~~a".repeat(10_000),
  "KaTeX nesting": "$" + "\\frac{".repeat(500) + "1" + "}{2}".repeat(500) + "$",
  "KaTeX nesting in \\[…\\]": "\\[" + "{".repeat(3000) + "x" + "}".repeat(3000) + "\\]",
  "a 1 MB line": "word ".repeat(200_000),
  "a 1 MB line of stars": "*".repeat(1_000_000),
  "a table of 3,000 columns": "|a".repeat(3000) + "|\n" + "|-".repeat(3000) + "|\n" + "|1".repeat(3000) + "|",
};

describe("hostile answers", () => {
  for (const [name, text] of Object.entries(HOSTILE)) {
    it(`${name}: shown quickly, formatted or as text, nothing hidden`, () => {
      const start = performance.now();
      const { html, plainBlocks } = renderAnswer(text);
      const ms = performance.now() - start;
      console.info(`${name}: ${ms.toFixed(1)} ms, ${plainBlocks ? "plain text" : "formatted"}`);
      const page = shown(html);
      expect(page.querySelector("script, iframe, [onerror], [onclick]")).toBeNull();
      if (plainBlocks > 0) {
        expect(page.textContent).toBe(text);
      } else {
        // Formatted: markdown syntax is consumed, but every word of the text is still there.
        expect(squash(page.textContent ?? "").length).toBeGreaterThan(0);
        expect(ms).toBeLessThan(1000);
      }
    });
  }

  it("keeps ordinary structure just under the limits formatted", () => {
    const list = Array.from({ length: MAX_NESTING - 2 }, (_, i) => "  ".repeat(i) + "- level " + i).join("\n");
    const page = shown(renderAnswer(list).html);
    expect(page.querySelectorAll("ul").length).toBeGreaterThan(3);
    const table =
      "| a | b |\n|---|---|\n" + Array.from({ length: 40 }, (_, i) => `| **${i}** | _${i * 2}_ |`).join("\n");
    const t = renderAnswer(table);
    expect(t.plainBlocks).toBe(0);
    expect(shown(t.html).querySelectorAll("td strong").length).toBe(40);
    const math = renderAnswer("$$\\frac{\\frac{1}{2}}{\\sqrt{x^{2}}}$$");
    expect(math.plainBlocks).toBe(0);
    expect(shown(math.html).querySelector("math")).not.toBeNull();
  });

  it("shows only the hostile block as text; the rest of the answer stays formatted", () => {
    const text = "**Before** it.\n\n" + ">".repeat(2000) + " x\n\nAfter, `code`.";
    const { html, plainBlocks } = renderAnswer(text);
    expect(plainBlocks).toBe(1);
    const page = shown(html);
    expect(page.querySelector("strong")?.textContent).toBe("Before");
    expect(page.querySelector("code")?.textContent).toBe("code");
    expect(page.querySelector(".md-plain")?.textContent).toBe(">".repeat(2000) + " x\n\n");
  });

  it("falls back to the text when the renderer throws", () => {
    const spy = vi.spyOn(DOMPurify, "sanitize").mockImplementation(() => {
      throw new RangeError("Maximum call stack size exceeded");
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const r = renderBlock("<b>bold</b> **text**");
      expect(r.plain).toBe("error");
      expect(shown(r.html).textContent).toBe("<b>bold</b> **text**");
      expect(shown(r.html).querySelector("b")).toBeNull();
    } finally {
      spy.mockRestore();
      warn.mockRestore();
    }
  });

  it("renders a long streamed paragraph as text while it grows, formatted once it ends", () => {
    const inc = new IncrementalMarkdown();
    const frame = "A **bold** word and plain ones after it. ";
    for (let i = 0; i < 300; i++) inc.append(frame);
    // Parsed each frame only while small: about LIVE_TAIL_CHARS / frame.length frames, not 400.
    expect(inc.renders).toBeLessThanOrEqual(Math.ceil(LIVE_TAIL_CHARS / frame.length) + 1);
    expect(inc.parts.tail).toContain('class="md-plain md-live"');
    const stable = inc.parts.stable;
    inc.finish();
    expect(inc.parts.stable).toBe(stable);
    expect(inc.parts.tail).not.toContain("md-plain");
    expect(shown(inc.parts.tail).querySelectorAll("strong").length).toBe(300);
  });
});

describe("blocks", () => {
  it("scans a growing text once: the same ends as scanning it whole, chunk by chunk", () => {
    const text = "a\n\n```\nx\n\ny\n```\n\n- b\n- c\n\n\n\nend\n".repeat(50);
    const whole = new BlockScanner();
    whole.scan(text);
    const growing = new BlockScanner();
    for (let i = 1; i <= text.length; i += 7) growing.scan(text.slice(0, i));
    growing.scan(text);
    expect(growing.ends).toEqual(whole.ends);
  });

  it("cuts an answer into blocks that put it back together exactly", () => {
    const text = "# T\n\npara\n\n\n```js\n\nlet a;\n\n```\n\n- x\n\n- y\n\n";
    const blocks = splitBlocks(text);
    expect(blocks.join("")).toBe(text);
    expect(blocks.some((b) => b.includes("```js\n\nlet a;\n\n```"))).toBe(true);
  });
});
