// The sidebar: listing and paging, opening, renaming, deleting with undo, and search with <mark>
// highlights.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../lib/ipc/fake";
import { answers, ask, settled, setup } from "./helpers";

async function seeded(questions: string[]): Promise<FakeBackend> {
  const backend = new FakeBackend(
    (r) => ({ thinking: ["thinking about " + r.text], answer: [`About ${r.text}.`] }),
    undefined,
    {
      settings: { seenWelcome: true },
    },
  );
  for (const text of questions) {
    const run = await backend.ask(
      {
        conversation_id: null,
        parent_id: null,
        text,
        thinking: true,
        thinking_budget: null,
        candidates: 1,
        sampling: null,
      },
      () => {},
    );
    await run.done;
  }
  return backend;
}

function list(): HTMLElement {
  return screen.getByRole("list", { name: "Conversations" });
}

describe("sidebar", () => {
  it("lists conversations newest first and opens one", async () => {
    setup({ backend: await seeded(["Apples", "Bananas", "Cherries"]) });
    await waitFor(() => expect(within(list()).getAllByRole("listitem").length).toBe(3));
    const titles = within(list())
      .getAllByRole("listitem")
      .map((li) => li.textContent?.trim());
    expect(titles).toEqual(["Cherries", "Bananas", "Apples"]);
    await fireEvent.click(within(list()).getByRole("button", { name: "Bananas" }));
    await waitFor(() => expect(answers()[0]?.textContent).toContain("About Bananas."));
    expect(within(list()).getByRole("button", { name: "Bananas" }).getAttribute("aria-current")).toBe("page");
  });

  it("a new question appears at the top", async () => {
    setup({ backend: await seeded(["Old"]) });
    await ask("Brand new");
    await settled();
    await waitFor(() => expect(within(list()).getAllByRole("listitem")[0]?.textContent).toContain("Brand new"));
  });

  it("pages with More", async () => {
    const names = Array.from({ length: 33 }, (_, i) => `Question ${i + 1}`);
    setup({ backend: await seeded(names) });
    await waitFor(() => expect(within(list()).getAllByRole("listitem").length).toBe(30));
    await fireEvent.click(screen.getByRole("button", { name: "More" }));
    await waitFor(() => expect(within(list()).getAllByRole("listitem").length).toBe(33));
    expect(screen.queryByRole("button", { name: "More" })).toBeNull();
  });

  it("renames in place", async () => {
    const { backend } = setup({ backend: await seeded(["Apples"]) });
    await fireEvent.click(await screen.findByRole("button", { name: "Rename" }));
    const input = screen.getByLabelText("New title");
    await fireEvent.input(input, { target: { value: "Fruit talk" } });
    await fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(within(list()).getByRole("button", { name: "Fruit talk" })).toBeTruthy());
    expect(backend.calls.find((c) => c.method === "renameConversation")?.args).toEqual([1, "Fruit talk"]);
    expect((await backend.listConversations(5, null)).items[0]?.title).toBe("Fruit talk");
  });

  it("deletes with an undo toast", async () => {
    const { backend } = setup({ backend: await seeded(["Apples", "Bananas"]) });
    await waitFor(() => expect(within(list()).getAllByRole("listitem").length).toBe(2));
    const bananas = within(list()).getAllByRole("listitem")[0] as HTMLElement;
    await fireEvent.click(within(bananas).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(within(list()).getAllByRole("listitem").length).toBe(1));
    const toast = screen.getByText("Conversation deleted").closest("[role=status]") as HTMLElement;
    expect(toast.textContent).toContain("Conversation deleted");
    await fireEvent.click(within(toast).getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(within(list()).getAllByRole("listitem").length).toBe(2));
    expect(backend.calls.map((c) => c.method)).toContain("restoreConversation");
    expect(screen.queryByText("Conversation deleted")).toBeNull();
  });

  it("searches (debounced) and shows matches as <mark>, text only; a hit opens its conversation", async () => {
    const { backend } = setup({ backend: await seeded(["Apples <b>bold</b>", "Bananas"]) });
    const box = await screen.findByRole("searchbox", { name: "Search conversations" });
    for (const text of ["b", "bo", "bol", "bold"]) await fireEvent.input(box, { target: { value: text } });
    const results = await screen.findByRole("list", { name: "Search results" });
    const marks = Array.from(results.querySelectorAll("mark"));
    expect(marks.map((m) => m.textContent)).toContain("bold");
    expect(results.querySelector("b")).toBeNull();
    expect(results.textContent).toContain("<b>");
    const searches = backend.calls.filter((c) => c.method === "search");
    expect(searches.length).toBe(1);
    expect(searches[0]?.args[0]).toMatchObject({ text: "bold", include_thinking: false });

    await fireEvent.click(screen.getByLabelText("Also search thinking"));
    await waitFor(() =>
      expect(backend.calls.filter((c) => c.method === "search").at(-1)?.args[0]).toMatchObject({
        include_thinking: true,
      }),
    );

    await fireEvent.input(box, { target: { value: "thinking about bananas" } });
    const hit = await waitFor(() => {
      const b = within(screen.getByRole("list", { name: "Search results" })).getAllByRole("button")[0];
      expect(b?.textContent).toContain("thinking");
      return b as HTMLElement;
    });
    await fireEvent.click(hit);
    await waitFor(() => expect(answers()[0]?.textContent).toContain("About Bananas."));
  });
});
