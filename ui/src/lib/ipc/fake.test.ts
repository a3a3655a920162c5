import { describe, expect, it } from "vitest";
import { FakeBackend } from "./fake";
import type { AnswerEvent } from "./types";

const request = { conversation_id: null, parent_id: null, text: "2 + 2?", thinking: true, thinking_budget: null, candidates: 1 };

describe("FakeBackend", () => {
  it("streams thinking, then the answer, then usage and one finish", async () => {
    const backend = new FakeBackend(() => ({ thinking: ["a", "b"], answer: ["4"] }));
    const seen: AnswerEvent[] = [];
    const running = await backend.ask(request, (events) => seen.push(...events));
    await running.done;
    expect(seen.map((e) => e.event.type)).toEqual(["thinking", "thinking", "answer", "usage", "finished"]);
  });

  it("stops mid-thinking with a cancelled finish", async () => {
    let release: () => void = () => {};
    const backend = new FakeBackend(
      () => ({ thinking: ["a", "b", "c"], answer: ["4"] }),
      () => new Promise<void>((r) => (release = r)),
    );
    const seen: AnswerEvent[] = [];
    const running = await backend.ask(request, (events) => seen.push(...events));
    release();
    await Promise.resolve();
    await running.stop();
    release();
    await running.done;
    const last = seen[seen.length - 1];
    expect(last?.event).toEqual({ type: "finished", data: "cancelled" });
    expect(seen.some((e) => e.event.type === "answer")).toBe(false);
  });
});
