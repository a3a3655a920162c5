// What the chat shows: the active branch, a pending question, and streaming candidates.
import { describe, expect, it } from "vitest";
import type { Message, Thread } from "../ipc/types";
import { buildRows, lastQuestion, parentForNext } from "./rows";

function msg(id: number, parent: number | null, role: "user" | "assistant"): Message {
  return {
    id,
    conversation_id: 1,
    parent_id: parent,
    role,
    content: `m${id}`,
    thinking: null,
    status: "complete",
    created_at: id,
    updated_at: id,
    rating: null,
    generation: null,
  };
}

// q1 → a2 → q3 → a4, and a sibling answer a5 under q3.
const thread: Thread = {
  conversation: { id: 1, title: "t", title_is_custom: false, created_at: 0, updated_at: 0 },
  messages: [
    msg(1, null, "user"),
    msg(2, 1, "assistant"),
    msg(3, 2, "user"),
    msg(4, 3, "assistant"),
    msg(5, 3, "assistant"),
  ],
  active_path: [1, 2, 3, 4],
};

const shape = (rows: ReturnType<typeof buildRows>) =>
  rows.map((r) =>
    r.kind === "question"
      ? `Q:${r.text}`
      : r.kind === "voting"
        ? `V:${r.chains}`
        : `A:${r.answers.map((a) => a.id ?? "…").join(",")}`,
  );

describe("chat rows", () => {
  it("shows the branch on screen", () => {
    expect(shape(buildRows(thread, null, null))).toEqual(["Q:m1", "A:2", "Q:m3", "A:4"]);
  });

  it("puts a pending question under its parent, cutting the rest of the branch", () => {
    expect(shape(buildRows(thread, { parentId: 2, text: "edit" }, { questionId: null, answerIds: [] }))).toEqual([
      "Q:m1",
      "A:2",
      "Q:edit",
      "A:…",
    ]);
    expect(shape(buildRows(thread, { parentId: null, text: "first" }, { questionId: null, answerIds: [9] }))).toEqual([
      "Q:first",
      "A:9",
    ]);
    expect(shape(buildRows(null, { parentId: null, text: "new" }, null))).toEqual(["Q:new", "A:…"]);
  });

  it("replaces the saved answer with the candidates streaming for that question", () => {
    expect(shape(buildRows(thread, null, { questionId: 3, answerIds: [5, 6] }))).toEqual([
      "Q:m1",
      "A:2",
      "Q:m3",
      "A:5,6",
    ]);
    expect(shape(buildRows(thread, null, { questionId: 1, answerIds: [] }))).toEqual(["Q:m1", "A:…"]);
  });

  it("finds the last question and the parent of the next one", () => {
    expect(lastQuestion(thread)?.id).toBe(3);
    expect(parentForNext(thread)).toBe(4);
    expect(parentForNext({ ...thread, active_path: [1, 2, 3] })).toBe(2);
    expect(parentForNext(null)).toBeNull();
  });
});
