// Hostile model output (answer and thinking) renders inert in the real components; links open outside;
// code and math render.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { answers, ask, settled, setup } from "./helpers";

const HOSTILE = [
  "<script>window.__pwned = 1</script>",
  '<img src=x onerror="window.__pwned = 2">',
  "[click me](javascript:alert(1))",
  '<iframe src="https://evil.example"></iframe>',
  '<div onclick="window.__pwned = 3">div</div>',
  "[safe](https://example.com/page) [mail](mailto:a@b.c)",
].join("\n\n");

/** Nothing that could run: no script, iframe or object elements, no on* attributes, no javascript: URLs. */
function expectInert(root: Element): void {
  expect(root.querySelector("script, iframe, object, embed, form")).toBeNull();
  for (const el of Array.from(root.querySelectorAll("*"))) {
    for (const attr of Array.from(el.attributes)) {
      expect(attr.name.toLowerCase().startsWith("on")).toBe(false);
      expect(attr.value.toLowerCase().replace(/\s/g, "")).not.toContain("javascript:");
    }
  }
}

describe("model output in the rendered answer", () => {
  it("renders hostile answers and thinking inert, in the stream and once saved", async () => {
    const { backend, ...view } = setup({ script: () => ({ thinking: [HOSTILE], answer: [HOSTILE] }) });
    await ask("Be evil");
    await settled();
    const answer = answers()[0] as HTMLElement;
    expectInert(answer);
    expect(answer.querySelector(".markdown")?.textContent).toContain("<script>window.__pwned = 1</script>");
    // The thinking, opened, is plain text.
    const pane = screen.getByRole("region", { name: "Thinking" });
    await fireEvent.click(within(pane).getByRole("button"));
    expect(pane.textContent).toContain('<img src=x onerror="window.__pwned = 2">');
    expectInert(pane);

    // Opened again from the history in a new window: the saved text is rendered in one go.
    view.unmount();
    setup({ backend });
    await fireEvent.click(await screen.findByRole("button", { name: "Be evil" }));
    await waitFor(() => expect(answers().length).toBe(1));
    expect(answers()[0]?.querySelector(".markdown")?.textContent).toContain("<iframe");
    await fireEvent.click(within(screen.getByRole("region", { name: "Thinking" })).getByRole("button"));
    expect(screen.getByRole("region", { name: "Thinking" }).textContent).toContain("<iframe");
    expectInert(document.body);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("opens http(s) links outside and ignores other schemes", async () => {
    const { backend } = setup({ script: () => ({ thinking: [], answer: [HOSTILE] }) });
    await ask("links");
    await settled();
    const answer = answers()[0] as HTMLElement;
    const safe = within(answer).getByText("safe");
    const event = new MouseEvent("click", { bubbles: true, cancelable: true });
    safe.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    await waitFor(() => expect(backend.opened).toEqual(["https://example.com/page"]));
    const mail = within(answer).getByText("mail");
    const e2 = new MouseEvent("click", { bubbles: true, cancelable: true });
    mail.dispatchEvent(e2);
    expect(e2.defaultPrevented).toBe(true);
    // "click me" lost its javascript: href and is not a link any more, or goes nowhere.
    const clickMe = within(answer).getByText("click me");
    expect(clickMe.closest("a")?.getAttribute("href") ?? null).toBeNull();
    expect(backend.opened).toEqual(["https://example.com/page"]);
  });

  it("highlights code with a copy button, and typesets math", async () => {
    setup({
      script: () => ({
        thinking: [],
        answer: ["Area: $\\pi r^2$\n\n", "```python\nprint('hi')\n```\n\n", "$$\\sum_{i=1}^n i$$"],
      }),
    });
    await ask("code");
    await settled();
    const answer = answers()[0] as HTMLElement;
    expect(
      answer.querySelector("code.language-python .hljs-built_in, code.language-python .hljs-string"),
    ).not.toBeNull();
    expect(within(answer).getByRole("button", { name: "Copy code" })).toBeTruthy();
    expect(answer.querySelectorAll("math").length).toBe(2);
    expect(answer.querySelector("math munderover, math msubsup")).not.toBeNull();
  });
});
