import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./render";

function dom(html: string): HTMLElement {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div;
}

describe("renderMarkdown", () => {
  it("renders ordinary markdown", () => {
    const d = dom(renderMarkdown("**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```"));
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
    const d = dom(renderMarkdown('![x](javascript:alert(1)) <img src=x onerror="alert(1)"> [click](javascript:alert(1)) [ok](https://example.com)'));
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
