// The whole window on the fake backend: a streamed answer end to end, and the first-run screen.
import { fireEvent, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { answers, ask, settled, setup } from "./tests/helpers";

describe("App", () => {
  it("streams thinking, folds it, and renders hostile answers inert", async () => {
    setup({
      script: () => ({
        thinking: ["7 + 9 = 16"],
        answer: ['936 <img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script>'],
      }),
    });
    await ask("347 + 589?");
    await settled();
    const header = await screen.findByRole("button", { name: /Thought for/, expanded: false });
    expect(header.textContent).toMatch(/Thought for .* · 1 token$/);
    const article = answers()[0];
    expect(article?.querySelector("img, script")).toBeNull();
    expect(article?.textContent).toContain("936");
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    await fireEvent.click(header);
    expect(screen.getByText("7 + 9 = 16")).toBeTruthy();
  });

  it("shows the first-run screen until Start, then remembers it", async () => {
    const { backend } = setup({ settings: { seenWelcome: false } });
    const dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain("ponder-tiny");
    await fireEvent.click(screen.getByRole("button", { name: "Start" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect((backend.settingsBlob as { seenWelcome: boolean }).seenWelcome).toBe(true);
  });
});
