// Thinking harder in the window, on the in-memory backend: the composer's mode is remembered per
// conversation and shapes each turn, a vote's chains are tallied with the majority shown and the other
// answers one click away, and a check's verdict lands on the answer.
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../ipc/fake";
import type { AnswerOptions } from "../ipc/types";
import { DEFAULT_MIN_THINKING, modeFromKey, modeKey, optionsFor } from "./mode";
import { buildRows } from "./rows";
import { ChatSession } from "./session.svelte";
import { voteSummary } from "./votes";

const base: AnswerOptions = { thinking: true, thinking_budget: null, candidates: 2, sampling: null };

function session(backend: FakeBackend): ChatSession {
  return new ChatSession(
    backend,
    {
      options: () => base,
      paneMode: () => "auto",
      fail: (e) => {
        throw e;
      },
      changed: () => {},
    },
    (flush) => queueMicrotask(flush),
  );
}

describe("answer modes", () => {
  it("turn into the options Rust takes, and back from the composer's select", () => {
    expect(optionsFor({ kind: "vote", chains: 8 }, base)).toMatchObject({ vote: 8, candidates: 1 });
    expect(optionsFor({ kind: "think_longer", min_tokens: 300 }, base)).toMatchObject({ min_thinking: 300 });
    expect(optionsFor({ kind: "think_longer", min_tokens: 300 }, { ...base, thinking: false })).not.toHaveProperty(
      "min_thinking",
    );
    expect(optionsFor({ kind: "answer" }, base)).toEqual(base);
    expect(modeFromKey(modeKey({ kind: "vote", chains: 16 }), { kind: "answer" })).toEqual({
      kind: "vote",
      chains: 16,
    });
    expect(modeFromKey("think_longer", { kind: "answer" })).toEqual({
      kind: "think_longer",
      min_tokens: DEFAULT_MIN_THINKING,
    });
    expect(modeFromKey("vote:99", { kind: "answer" })).toEqual({ kind: "answer" });
  });
});

describe("a vote in the chat", () => {
  it("is remembered with its conversation, tallied, shows the majority and offers the others", async () => {
    const backend = new FakeBackend(() => ({
      thinking: ["Adding."],
      answer: ["x"],
      chainAnswers: ["**936**", "926", "936", "The answer is 936."],
    }));
    const chat = session(backend);
    await chat.setMode({ kind: "vote", chains: 4 });
    expect(await chat.ask("What is 347 + 589?")).toBe(true);
    const conversation = chat.conversationId!;
    expect(backend.asked[0]).toMatchObject({ vote: 4, candidates: 1 });
    expect(await backend.answerMode(conversation)).toEqual({ kind: "vote", chains: 4 });

    const thread = chat.thread!;
    const shown = thread.messages.find((m) => m.id === thread.active_path.at(-1))!;
    expect(shown.vote).toMatchObject({ with_majority: true, agreeing: 3, chains: 4, result: "majority" });
    const summary = voteSummary(thread, shown)!;
    expect(summary.others).toEqual([expect.objectContaining({ key: "926", count: 1 })]);
    // Only the conversation's own mode: a new chat keeps the last mode until it is changed.
    await chat.open(conversation);
    expect(chat.mode).toEqual({ kind: "vote", chains: 4 });

    await chat.navigate(summary.others[0]!.first);
    const other = chat.thread!.messages.find((m) => m.id === chat.thread!.active_path.at(-1))!;
    expect(other.content).toBe("926");

    await chat.check(shown.id);
    const checked = chat.thread!.messages.find((m) => m.id === shown.id)!;
    expect(checked.check).toMatchObject({ method: "grader", verdict: "correct" });
  });

  it("names the tied answers and how many chains gave each", async () => {
    const backend = new FakeBackend(() => ({
      thinking: ["Adding."],
      answer: ["x"],
      chainAnswers: ["42", "43", "**42**", "The answer is 43.", "44"],
    }));
    const chat = session(backend);
    await chat.setMode({ kind: "vote", chains: 5 });
    expect(await chat.ask("What is 25 + 17?")).toBe(true);
    const thread = chat.thread!;
    const shown = thread.messages.find((m) => m.id === thread.active_path.at(-1))!;
    expect(shown.vote).toMatchObject({ result: "tie", agreeing: 2, chains: 5 });
    const summary = voteSummary(thread, shown)!;
    expect(summary.tied).toEqual([
      { shown: "42", count: 2 },
      { shown: "43", count: 2 },
    ]);
    // A smaller answer is offered as a branch but is not one of the tied.
    expect(summary.others.map((o) => [o.key, o.count])).toEqual([
      ["43", 2],
      ["44", 1],
    ]);
  });

  it("streams only its first chain while it runs, with a count of the others", () => {
    const rows = buildRows(null, { parentId: null, text: "Q" }, { questionId: null, answerIds: [5, 6, 7], vote: 3 });
    expect(rows.map((r) => r.kind)).toEqual(["question", "voting", "answers"]);
    const answers = rows[2];
    expect(answers?.kind === "answers" && answers.answers.map((a) => a.id)).toEqual([5]);
  });
});
