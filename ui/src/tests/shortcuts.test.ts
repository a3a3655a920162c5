// Keyboard shortcuts: the key mapping, and each shortcut acting on the real window.
import { fireEvent, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { shortcutFor } from "../lib/shortcuts";
import { Gate, answers, ask, settled, setup } from "./helpers";

const key = (
  k: string,
  mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {},
) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe("shortcutFor", () => {
  it("maps Ctrl and Cmd combinations, and nothing else", () => {
    expect(shortcutFor(key("n", { ctrlKey: true }))).toBe("new_chat");
    expect(shortcutFor(key("N", { metaKey: true }))).toBe("new_chat");
    expect(shortcutFor(key("k", { ctrlKey: true }))).toBe("search");
    expect(shortcutFor(key("f", { metaKey: true }))).toBe("search");
    expect(shortcutFor(key("r", { ctrlKey: true }))).toBe("regenerate");
    expect(shortcutFor(key("R", { ctrlKey: true, shiftKey: true }))).toBe("regenerate");
    expect(shortcutFor(key("Escape"))).toBe("stop");
    expect(shortcutFor(key("n"))).toBeNull();
    expect(shortcutFor(key("k", { ctrlKey: true, altKey: true }))).toBeNull();
    expect(shortcutFor(key("x", { ctrlKey: true }))).toBeNull();
  });
});

describe("keyboard shortcuts in the window", () => {
  it("Ctrl+K focuses search, Ctrl+N starts a new chat, Ctrl+R regenerates the last answer", async () => {
    const { backend } = setup();
    await ask("Q1");
    await settled();
    expect(answers().length).toBe(1);

    await fireEvent.keyDown(window, { key: "k", ctrlKey: true });
    expect(document.activeElement).toBe(screen.getByRole("searchbox"));

    await fireEvent.keyDown(window, { key: "r", ctrlKey: true });
    await settled();
    expect(backend.regenerated.map((r) => r.question_id)).toEqual([2]);
    expect(screen.getByRole("group", { name: "Versions" }).textContent).toContain("2 / 2");

    await fireEvent.keyDown(window, { key: "n", metaKey: true });
    await waitFor(() => expect(answers().length).toBe(0));
    expect(screen.getByText("What shall we think through?")).toBeTruthy();
  });

  it("Escape stops generating", async () => {
    const gate = new Gate();
    const { backend } = setup({ script: () => ({ thinking: ["a", "b", "c"], answer: ["d"] }), tick: gate.tick });
    await ask("Q");
    await gate.step(1);
    await fireEvent.keyDown(window, { key: "Escape" });
    gate.release();
    await settled();
    const thread = await backend.thread(1);
    const answer = thread.messages.find((m) => m.role === "assistant");
    expect(answer?.status).toBe("stopped");
    expect(answers()[0]?.textContent).toContain("stopped");
  });
});
