// Failures: rejected calls shown as dismissible alerts (locked history included), generation errors in the
// answer, the window still working afterwards.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../lib/ipc/fake";
import { answers, ask, settled, setup } from "./helpers";

describe("errors", () => {
  it("a rejected call shows its message in a dismissible alert, and the window keeps working", async () => {
    const { backend } = setup();
    backend.failNext("ask", { kind: "busy", message: "The engine is busy." });
    await ask("Q");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The engine is busy.");
    // The question was not lost: it is back in the composer.
    expect((screen.getByLabelText("Ask a question") as HTMLTextAreaElement).value).toBe("Q");
    expect(answers().length).toBe(0);
    await fireEvent.click(within(alert).getByRole("button", { name: "Dismiss" }));
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());

    await ask("Q again");
    await settled();
    expect(answers()[0]?.textContent).toContain("42");
  });

  it("says so when the history is locked", async () => {
    const { backend } = setup();
    await ask("Q");
    await settled();
    backend.failNext("rate", { kind: "locked", message: "database is locked" });
    await fireEvent.click(within(answers()[0] as HTMLElement).getByRole("button", { name: "Good answer" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The history is in use by another Ponder window or program.");
    expect(alert.textContent).toContain("database is locked");
    expect(
      within(answers()[0] as HTMLElement)
        .getByRole("button", { name: "Good answer" })
        .getAttribute("aria-pressed"),
    ).toBe("false");
  });

  it("offers to repair a damaged history, then reloads it", async () => {
    const { backend } = setup();
    backend.failNext("rate", { kind: "corrupt", message: "/data/ponder.db is not a database" });
    await ask("Q");
    await settled();
    await fireEvent.click(within(answers()[0] as HTMLElement).getByRole("button", { name: "Good answer" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The history database is damaged.");
    const calls = (m: string) => backend.calls.filter((c) => c.method === m).length;
    const listed = calls("listConversations");
    await fireEvent.click(within(alert).getByRole("button", { name: "Repair" }));
    await waitFor(() => expect(calls("repairStore")).toBe(1));
    await waitFor(() => expect(calls("listConversations")).toBeGreaterThan(listed));
    expect(
      await screen.findByText(
        "Repaired: 12 conversations and 40 messages recovered; 3 records on damaged pages could not be read. A copy of the damaged file is at /data/ponder.db.damaged-1.bak",
      ),
    ).toBeTruthy();
  });

  it("shows a generation error in the answer", async () => {
    setup({ script: () => ({ thinking: ["x"], answer: ["partial"], error: "out of memory" }) });
    await ask("Q");
    await settled();
    const answer = answers()[0] as HTMLElement;
    expect(within(answer).getByRole("alert").textContent).toBe("Generation failed: out of memory");
    expect(answer.textContent).toContain("partial");
  });

  it("a failed list or search does not break the sidebar", async () => {
    const fake = new FakeBackend(undefined, undefined, { settings: { seenWelcome: true } });
    fake.failNext("listConversations", { kind: "io", message: "disk unplugged" });
    fake.failNext("search", { kind: "invalid", message: "bad query" });
    setup({ backend: fake });
    expect((await screen.findByRole("alert")).textContent).toContain("disk unplugged");
    await fireEvent.input(screen.getByRole("searchbox"), { target: { value: "x" } });
    await waitFor(() => expect(screen.getAllByRole("alert").length).toBe(2));
    expect(screen.getAllByRole("alert")[1]?.textContent).toContain("bad query");
    await fireEvent.input(screen.getByRole("searchbox"), { target: { value: "" } });
    await ask("Q");
    await settled();
    const list = await screen.findByRole("list", { name: "Conversations" });
    expect(within(list).getByRole("button", { name: "Q" })).toBeTruthy();
  });
});
