// The session keeps streamed answers only for the conversation on screen, so a long day of questions
// does not keep every answer's text and rendered blocks in memory.
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../ipc/fake";
import { ChatSession } from "./session.svelte";

function session(backend: FakeBackend): ChatSession {
  return new ChatSession(
    backend,
    {
      options: () => ({ thinking: true, thinking_budget: null, candidates: 1, sampling: null }),
      paneMode: () => "auto",
      fail: (e) => {
        throw e;
      },
      changed: () => {},
    },
    (flush) => queueMicrotask(flush),
  );
}

describe("ChatSession", () => {
  it("forgets the streamed answers of a conversation once another is opened", async () => {
    const backend = new FakeBackend();
    const chat = session(backend);
    expect(await chat.ask("What is 2 + 2?")).toBe(true);
    const first = chat.conversationId;
    expect(chat.live.size).toBe(1);

    // Reopening the same conversation keeps its streamed answer (its speed stays on screen).
    await chat.open(first!);
    expect(chat.live.size).toBe(1);

    chat.newChat();
    expect(chat.live.size).toBe(0);
    expect(await chat.ask("And 3 + 3?")).toBe(true);
    expect(chat.live.size).toBe(1);
    await chat.open(first!);
    expect(chat.live.size).toBe(0);
    expect(chat.thread?.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
  });
});
