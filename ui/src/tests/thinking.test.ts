// The thinking pane inside a rendered answer: open while thinking, folded when the answer starts, reopened
// by a click, and the auto/open/closed modes.
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { Gate, answers, ask, settled, setup } from "./helpers";

const script = () => ({ thinking: ["First, units: ", "9 + 7 = 16."], answer: ["The sum ", "is **936**."] });

function paneHeader(): HTMLElement {
  const section = screen.getByRole("region", { name: "Thinking" });
  return within(section).getAllByRole("button")[0] as HTMLElement;
}

describe("thinking pane in an answer", () => {
  it("is open while thinking, folds when the answer starts, and reopens on click", async () => {
    const gate = new Gate();
    setup({ script, tick: gate.tick });
    await ask("347 + 589?");
    await gate.step(1);
    await waitFor(() => expect(paneHeader().getAttribute("aria-expanded")).toBe("true"));
    expect(paneHeader().textContent).toMatch(/Thinking… \d+\.\d s/);
    expect(screen.getByText("First, units:", { exact: false })).toBeTruthy();
    await gate.step(1);
    expect(screen.getByText("First, units: 9 + 7 = 16.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Stop" })).toBeTruthy();

    await gate.step(1); // the first piece of the answer
    await waitFor(() => expect(paneHeader().getAttribute("aria-expanded")).toBe("false"));
    expect(paneHeader().textContent).toMatch(/Thought for \d+\.\d s · 2 tokens$/);
    // Folded, not taken apart: clipped and hidden from assistive technology, so folding costs no frame.
    expect(screen.getByText("First, units: 9 + 7 = 16.").closest(".body")?.getAttribute("aria-hidden")).toBe("true");
    expect(answers()[0]?.querySelector(":scope > .markdown")?.textContent).toContain("The sum");

    await fireEvent.click(paneHeader());
    expect(paneHeader().getAttribute("aria-expanded")).toBe("true");
    expect(screen.getByText("First, units: 9 + 7 = 16.").closest(".body")?.getAttribute("aria-hidden")).toBe("false");

    gate.release();
    await settled();
    expect(answers()[0]?.querySelector("strong")?.textContent).toBe("936");
    expect(answers()[0]?.textContent).toContain("100.0 tok/s");
    // The person's choice wins: the pane stays open after the answer is done.
    expect(paneHeader().getAttribute("aria-expanded")).toBe("true");
    await fireEvent.click(paneHeader());
    expect(paneHeader().getAttribute("aria-expanded")).toBe("false");
  });

  it("shows a saved answer's stored thinking time and tokens when the conversation is opened again", async () => {
    const { backend } = setup({ script });
    await ask("347 + 589?");
    await settled();
    cleanup(); // a new window on the same history: nothing of the stream is left in memory
    setup({ backend });
    const sidebar = screen.getByRole("navigation");
    await fireEvent.click(await within(sidebar).findByRole("button", { name: "347 + 589?" }));
    await waitFor(() => expect(paneHeader().textContent).toMatch(/Thought for 1\.5 s · 2 tokens$/));
  });

  it("stays closed in 'closed' mode", async () => {
    const gate = new Gate();
    setup({ script, tick: gate.tick, settings: { paneMode: "closed" } });
    await ask("q");
    await gate.step(1);
    await waitFor(() => expect(paneHeader().getAttribute("aria-expanded")).toBe("false"));
    expect(screen.queryByText("First, units:", { exact: false })).toBeNull();
    gate.release();
    await settled();
    expect(paneHeader().getAttribute("aria-expanded")).toBe("false");
  });

  it("stays open in 'open' mode after the answer starts", async () => {
    const gate = new Gate();
    setup({ script, tick: gate.tick, settings: { paneMode: "open" } });
    await ask("q");
    await gate.step(3);
    await waitFor(() => expect(answers()[0]?.textContent).toContain("The sum"));
    expect(paneHeader().getAttribute("aria-expanded")).toBe("true");
    gate.release();
    await settled();
    expect(paneHeader().getAttribute("aria-expanded")).toBe("true");
  });

  it("shows no pane when thinking is off, and says when an answer was stopped", async () => {
    const gate = new Gate();
    setup({ script, tick: gate.tick, settings: { thinking: false } });
    await ask("q");
    await gate.step(1);
    expect(screen.queryByRole("region", { name: "Thinking" })).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Stop" }));
    gate.release();
    await settled();
    expect(answers()[0]?.textContent).toContain("stopped");
    expect(answers()[0]?.textContent).toContain("The sum");
  });

  it("keeps finished paragraphs on the page while the next one streams (no re-render of the whole answer)", async () => {
    const gate = new Gate();
    setup({
      script: () => ({ thinking: [], answer: ["First paragraph.\n\n", "Second ", "grows ", "more."] }),
      tick: gate.tick,
    });
    await ask("q");
    await gate.step(2);
    const first = await waitFor(() => {
      const p = answers()[0]?.querySelector(".markdown p");
      expect(p?.textContent).toBe("First paragraph.");
      return p;
    });
    await gate.step(2);
    await waitFor(() => expect(answers()[0]?.textContent).toContain("Second grows more."));
    expect(answers()[0]?.querySelector(".markdown p")).toBe(first);
    gate.release();
    await settled();
  });
});
