import { fireEvent, render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { FakeBackend } from "./lib/ipc/fake";

describe("App", () => {
  it("streams thinking, folds it, and renders hostile answers inert", async () => {
    const backend = new FakeBackend(() => ({
      thinking: ["7 + 9 = 16"],
      answer: ["936 <img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=1</script>"],
    }));
    render(App, { backend });
    const box = screen.getByLabelText("Ask a question");
    await fireEvent.input(box, { target: { value: "347 + 589?" } });
    await fireEvent.keyDown(box, { key: "Enter" });
    await new Promise((r) => setTimeout(r, 20));
    const header = await screen.findByRole("button", { expanded: false });
    expect(header.textContent).toMatch(/^Thought for .* · 1 token$/);
    const article = document.querySelector("article.answer");
    expect(article?.querySelector("img, script")).toBeNull();
    expect(article?.textContent).toContain("936");
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    await fireEvent.click(header);
    expect(screen.getByText("7 + 9 = 16")).toBeTruthy();
  });
});
