import { describe, expect, it } from "vitest";
import { IncrementalMarkdown, stableEnd } from "./incremental";
import { renderMarkdown } from "./render";

const sample =
  "# Sum\n\nFirst we add **units**.\n\n```rust\nlet x = 1;\n\nlet y = 2;\n```\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nDone: 936.";

describe("IncrementalMarkdown", () => {
  it("ends finished blocks at blank lines outside code fences", () => {
    expect(stableEnd("a\n\nb")).toBe(3);
    expect(stableEnd("```\na\n\nb")).toBe(0);
    expect(stableEnd("```\na\n\n```\n\nc")).toBe(12);
  });

  it("gives the same HTML as rendering everything at once, token by token", () => {
    const inc = new IncrementalMarkdown();
    let html = "";
    for (const ch of sample) html = inc.append(ch);
    const d1 = document.createElement("div");
    d1.innerHTML = html;
    const d2 = document.createElement("div");
    d2.innerHTML = renderMarkdown(sample);
    expect(d1.textContent).toBe(d2.textContent);
    expect(d1.querySelectorAll("table, pre, ul, h1, strong").length).toBe(
      d2.querySelectorAll("table, pre, ul, h1, strong").length,
    );
  });

  it("renders each finished block once, whatever the length of the answer", () => {
    const inc = new IncrementalMarkdown();
    const paragraph = "word ".repeat(20) + "\n\n";
    for (let i = 0; i < 200; i++) inc.append(paragraph);
    // 200 finished blocks rendered once each, plus nothing pending: not 200 × 200 / 2.
    expect(inc.renders).toBe(200);
  });
});

describe("IncrementalMarkdown parts", () => {
  it("keeps finished blocks' HTML unchanged while the open block grows", () => {
    const inc = new IncrementalMarkdown();
    inc.append("First paragraph.\n\nSecond");
    const before = inc.parts;
    expect(before.stable).toContain("First paragraph.");
    expect(before.tail).toContain("Second");
    const all = inc.append(" grows");
    expect(inc.parts.stable).toBe(before.stable);
    expect(inc.parts.tail).toContain("Second grows");
    expect(all).toBe(inc.parts.stable + inc.parts.tail);
  });
});
