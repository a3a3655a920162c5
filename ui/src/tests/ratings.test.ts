// Rating answers through the UI: thumbs, clearing, reasoning thumbs, reason chips, comment and a better
// answer, each reaching the backend as it should.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { FakeBackend } from "../lib/ipc/fake";
import { answers, ask, settled, setup } from "./helpers";

function callsOf(backend: FakeBackend, method: string): unknown[][] {
  return backend.calls.filter((c) => c.method === method).map((c) => c.args);
}

async function answered() {
  const s = setup({ script: () => ({ thinking: ["hmm"], answer: ["4"] }) });
  await ask("2 + 2?");
  await settled();
  const answer = answers()[0] as HTMLElement;
  const thread = await s.backend.thread((await s.backend.listConversations(1, null)).items[0]?.id ?? 0);
  const answerId = thread.active_path[1] as number;
  return { ...s, answer, answerId };
}

const EMPTY = { answer: null, reasoning: null, tags: [], comment: null, corrected_answer: null };

describe("ratings", () => {
  it("thumbs up saves, clicking it again clears", async () => {
    const { backend, answer, answerId } = await answered();
    const up = within(answer).getByRole("button", { name: "Good answer" });
    expect(up.getAttribute("aria-pressed")).toBe("false");
    await fireEvent.click(up);
    await waitFor(() => expect(up.getAttribute("aria-pressed")).toBe("true"));
    expect(callsOf(backend, "rate")).toEqual([[answerId, { ...EMPTY, answer: "up" }]]);
    await fireEvent.click(up);
    await waitFor(() => expect(up.getAttribute("aria-pressed")).toBe("false"));
    expect(callsOf(backend, "clearRating")).toEqual([[answerId]]);
  });

  it("thumbs down opens the details; tags, comment and a better answer are saved together", async () => {
    const { backend, answer, answerId } = await answered();
    await fireEvent.click(within(answer).getByRole("button", { name: "Bad answer" }));
    const details = await screen.findByRole("group", { name: "Details" });
    await fireEvent.click(within(details).getByRole("button", { name: "Wrong answer" }));
    await fireEvent.click(within(details).getByRole("button", { name: "Too long" }));
    await fireEvent.click(within(details).getByRole("button", { name: "Correct" }));
    await fireEvent.click(within(details).getByRole("button", { name: "Correct" })); // off again
    await fireEvent.input(within(details).getByLabelText("Comment"), { target: { value: "2 + 2 is 4, not 5" } });
    await fireEvent.input(within(details).getByLabelText("Write a better answer"), { target: { value: "**4**" } });
    await fireEvent.click(within(details).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("group", { name: "Details" })).toBeNull());
    expect(callsOf(backend, "rate").at(-1)).toEqual([
      answerId,
      {
        answer: "down",
        reasoning: null,
        tags: ["too_long", "wrong_answer"],
        comment: "2 + 2 is 4, not 5",
        corrected_answer: "**4**",
      },
    ]);
  });

  it("rates the reasoning on its own, and shows saved ratings when the conversation is opened again", async () => {
    const { backend, answer, answerId, unmount } = await answered();
    await fireEvent.click(within(answer).getByRole("button", { name: "Bad reasoning" }));
    await waitFor(() => expect(callsOf(backend, "rate")).toEqual([[answerId, { ...EMPTY, reasoning: "down" }]]));
    await fireEvent.click(within(answer).getByRole("button", { name: "Good answer" }));
    await waitFor(() =>
      expect(callsOf(backend, "rate").at(-1)).toEqual([answerId, { ...EMPTY, answer: "up", reasoning: "down" }]),
    );

    unmount();
    setup({ backend });
    await fireEvent.click(await screen.findByRole("button", { name: "2 + 2?" }));
    const again = await waitFor(() => answers()[0] as HTMLElement);
    await waitFor(() =>
      expect(within(again).getByRole("button", { name: "Good answer" }).getAttribute("aria-pressed")).toBe("true"),
    );
    expect(within(again).getByRole("button", { name: "Bad reasoning" }).getAttribute("aria-pressed")).toBe("true");
    expect(within(again).getByRole("button", { name: "Bad answer" }).getAttribute("aria-pressed")).toBe("false");
  });

  it("cannot save details without a vote or a better answer", async () => {
    const { answer } = await answered();
    await fireEvent.click(within(answer).getByRole("button", { name: "Details" }));
    const details = await screen.findByRole("group", { name: "Details" });
    await fireEvent.click(within(details).getByRole("button", { name: "Unhelpful" }));
    expect((within(details).getByRole("button", { name: "Save" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
