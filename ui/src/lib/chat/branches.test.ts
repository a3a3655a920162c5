import { describe, expect, it } from "vitest";
import type { Message, Thread } from "../ipc/types";
import { activeMessages, position, siblings } from "./branches";

function msg(id: number, parent_id: number | null, role: Message["role"]): Message {
  return {
    id,
    conversation_id: 1,
    parent_id,
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

// q1 → a2, a3, a5 (regenerated twice); a3 → q4 (follow-up)
const thread: Thread = {
  conversation: { id: 1, title: "t", title_is_custom: false, created_at: 0, updated_at: 0 },
  messages: [
    msg(1, null, "user"),
    msg(2, 1, "assistant"),
    msg(3, 1, "assistant"),
    msg(4, 3, "user"),
    msg(5, 1, "assistant"),
  ],
  active_path: [1, 3, 4],
};

describe("branches", () => {
  it("counts siblings and finds neighbours", () => {
    expect(siblings(thread, 3).map((m) => m.id)).toEqual([2, 3, 5]);
    expect(position(thread, 3)).toEqual({ index: 2, count: 3, previous: 2, next: 5 });
    expect(position(thread, 2)).toEqual({ index: 1, count: 3, previous: null, next: 3 });
    expect(position(thread, 5).next).toBeNull();
    expect(position(thread, 1)).toEqual({ index: 1, count: 1, previous: null, next: null });
  });

  it("lists the branch on screen", () => {
    expect(activeMessages(thread).map((m) => m.content)).toEqual(["m1", "m3", "m4"]);
  });
});
