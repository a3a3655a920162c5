// Markdown rendering: ordinary markdown, sanitization, code highlighting, math and attribute filtering.
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./render";

function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

describe("renderMarkdown", () => {
  it("renders ordinary markdown", () => {
    const d = dom(
      renderMarkdown("**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```"),
    );
    expect(d.querySelector("strong")?.textContent).toBe("bold");
    expect(d.querySelector("table td")?.textContent).toBe("1");
    expect(d.querySelector("pre code")?.textContent).toContain("fn main()");
  });

  it("shows raw HTML as text and runs no script", () => {
    const d = dom(renderMarkdown('Hi <script>window.__pwned = 1</script> <b onclick="x()">b</b>'));
    expect(d.querySelector("script")).toBeNull();
    expect(d.querySelector("b")).toBeNull();
    expect(d.textContent).toContain("<script>window.__pwned = 1</script>");
  });

  it("drops event handlers and javascript: links", () => {
    const d = dom(
      renderMarkdown(
        '![x](javascript:alert(1)) <img src=x onerror="alert(1)"> [click](javascript:alert(1)) [ok](https://example.com)',
      ),
    );
    for (const el of Array.from(d.querySelectorAll("*"))) {
      for (const attr of Array.from(el.attributes)) {
        expect(attr.name.startsWith("on")).toBe(false);
        expect(attr.value.toLowerCase()).not.toContain("javascript:");
      }
    }
    const link = d.querySelector('a[href="https://example.com"]');
    expect(link?.getAttribute("target")).toBe("_blank");
    expect(link?.getAttribute("rel")).toBe("noopener noreferrer");
  });

  it("keeps <think> typed in an answer as text", () => {
    const d = dom(renderMarkdown("Tags like <think> are just text."));
    expect(d.textContent).toBe("Tags like <think> are just text.\n");
  });
});

describe("code and math", () => {
  it("highlights code blocks by language and keeps the code text", () => {
    const d = dom(renderMarkdown("```rust\nfn main() { let x = 1; }\n```"));
    const code = d.querySelector(".code-block pre code");
    expect(code?.className).toContain("language-rust");
    expect(code?.querySelector(".hljs-keyword")?.textContent).toBe("fn");
    expect(code?.textContent).toBe("fn main() { let x = 1; }");
    expect(d.querySelector(".code-lang")?.textContent).toBe("rust");
  });

  it("escapes code in unknown languages and in fences with odd info strings", () => {
    const d = dom(renderMarkdown('```"><img src=x onerror=alert(1)>\n<b>hi</b>\n```'));
    expect(d.querySelector("img, b")).toBeNull();
    expect(d.querySelector("pre code")?.textContent).toBe("<b>hi</b>");
  });

  it("typesets $…$, \\(…\\), $$…$$ and \\[…\\] as MathML without showing the TeX twice", () => {
    const d = dom(renderMarkdown("Inline $x^2$ and \\(y_1\\).\n\n$$\n\\frac{a}{b}\n$$\n\n\\[z\\]"));
    const maths = d.querySelectorAll("math");
    expect(maths.length).toBe(4);
    expect(d.querySelector("math msup")).not.toBeNull();
    expect(d.querySelector("math mfrac")).not.toBeNull();
    expect(d.querySelectorAll('math[display="block"]').length).toBe(2);
    expect(d.querySelector("annotation")).toBeNull();
    expect(d.textContent).not.toContain("\\frac");
  });

  it("leaves prices alone and refuses \\href in math", () => {
    const d = dom(renderMarkdown("It costs $5 and $10 today. $\\href{javascript:alert(1)}{x}$"));
    expect(d.textContent).toContain("$5 and $10");
    for (const el of Array.from(d.querySelectorAll("*"))) {
      for (const attr of Array.from(el.attributes)) expect(attr.value.toLowerCase()).not.toContain("javascript:");
    }
  });
});

describe("attributes", () => {
  it("keeps harmless attribute values and drops other schemes", () => {
    const d = dom(renderMarkdown("3. three\n4. four\n\n[a](data:text/html,x) [b](vbscript:x) [c](https://ok.example)"));
    expect(d.querySelector("ol")?.getAttribute("start")).toBe("3");
    const hrefs = Array.from(d.querySelectorAll("a")).map((a) => a.getAttribute("href"));
    expect(hrefs).toEqual([null, null, "https://ok.example"]);
  });
});
