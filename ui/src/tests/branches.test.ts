// Branches through the UI: regenerate and "2 / 2" navigation, editing a question into a new branch,
// candidates side by side.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { AskRequest } from "../lib/ipc/types";
import { Gate, answers, ask, settled, setup } from "./helpers";

/** Each answer says which attempt it is, so the test can tell siblings apart. */
function counting() {
  let n = 0;
  return (r: AskRequest) => ({ thinking: [], answer: [`Answer ${++n} to ${r.text}`] });
}

function answerText(): string {
  return answers()
    .map((a) => (a.querySelector(".markdown")?.textContent ?? "").trim())
    .join(" | ");
}

describe("branches", () => {
  it("regenerate makes a sibling '2 / 2'; previous and next switch the answer shown", async () => {
    const { backend } = setup({ script: counting() });
    await ask("Q");
    await settled();
    expect(answerText()).toBe("Answer 1 to Q");
    expect(screen.queryByRole("group", { name: "Versions" })).toBeNull();

    await fireEvent.click(within(answers()[0] as HTMLElement).getByRole("button", { name: "Regenerate" }));
    await settled();
    expect(backend.regenerated.length).toBe(1);
    expect(answerText()).toBe("Answer 2 to Q");
    const nav = screen.getByRole("group", { name: "Versions" });
    expect(nav.textContent).toContain("2 / 2");

    await fireEvent.click(within(nav).getByRole("button", { name: "Previous version" }));
    await waitFor(() => expect(answerText()).toBe("Answer 1 to Q"));
    expect(screen.getByRole("group", { name: "Versions" }).textContent).toContain("1 / 2");
    expect(backend.calls.some((c) => c.method === "setActive")).toBe(true);

    await fireEvent.click(
      within(screen.getByRole("group", { name: "Versions" })).getByRole("button", { name: "Next version" }),
    );
    await waitFor(() => expect(answerText()).toBe("Answer 2 to Q"));
  });

  it("editing a question asks under the same parent, making a new branch of the question", async () => {
    const { backend } = setup({ script: counting() });
    await ask("First");
    await settled();
    await ask("Second");
    await settled();
    expect(answerText()).toBe("Answer 1 to First | Answer 2 to Second");

    const bubbles = screen.getAllByRole("button", { name: "Edit question" });
    await fireEvent.click(bubbles[1] as HTMLElement);
    const editor = screen.getByLabelText("Edited question");
    await fireEvent.input(editor, { target: { value: "Second, edited" } });
    await fireEvent.keyDown(editor, { key: "Enter" });
    await settled();

    const [first, second, edited] = backend.asked;
    expect(edited?.conversation_id).toBe(second?.conversation_id);
    expect(edited?.parent_id).toBe(second?.parent_id);
    expect(edited?.parent_id).not.toBeNull();
    expect(first?.parent_id).toBeNull();
    expect(answerText()).toBe("Answer 1 to First | Answer 3 to Second, edited");
    const nav = screen.getByRole("group", { name: "Versions" });
    expect(nav.textContent).toContain("2 / 2");
    await fireEvent.click(within(nav).getByRole("button", { name: "Previous version" }));
    await waitFor(() => expect(answerText()).toBe("Answer 1 to First | Answer 2 to Second"));
    expect(screen.getByText("Second")).toBeTruthy();
  });

  it("shows candidates side by side while they stream, then as siblings", async () => {
    const gate = new Gate();
    const { backend } = setup({
      script: () => ({ thinking: [], answer: ["a", "b"] }),
      tick: gate.tick,
      settings: { candidates: 3 },
    });
    await ask("Q");
    await gate.step(1);
    await waitFor(() => expect(answers().length).toBe(3));
    expect(screen.getByText("Candidate 2")).toBeTruthy();
    expect(backend.asked[0]?.candidates).toBe(3);
    gate.release();
    await settled();
    expect(answers().length).toBe(1);
    expect(screen.getByRole("group", { name: "Versions" }).textContent).toContain("1 / 3");
  });
});
