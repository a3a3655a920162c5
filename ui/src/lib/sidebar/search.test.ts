// Sidebar search debouncing.
import { describe, expect, it, vi } from "vitest";
import { FakeBackend } from "../ipc/fake";
import { ConversationSearch } from "./search.svelte";

describe("ConversationSearch", () => {
  it("waits for typing to pause, then searches once; clearing empties the hits", async () => {
    vi.useFakeTimers();
    try {
      const backend = new FakeBackend();
      await (
        await backend.ask(
          {
            conversation_id: null,
            parent_id: null,
            text: "apples",
            thinking: false,
            thinking_budget: null,
            candidates: 1,
            sampling: null,
          },
          () => {},
        )
      ).done;
      const search = new ConversationSearch(backend, (e) => {
        throw e;
      });
      for (const text of ["a", "ap", "app"]) {
        search.text = text;
        search.changed();
        vi.advanceTimersByTime(100);
      }
      expect(backend.calls.filter((c) => c.method === "search")).toEqual([]);
      await vi.advanceTimersByTimeAsync(300);
      expect(backend.calls.filter((c) => c.method === "search").map((c) => c.args[0])).toEqual([
        { text: "app", include_thinking: false, limit: 50 },
      ]);
      expect(search.hits.length).toBeGreaterThan(0);
      search.clear();
      expect(search.hits).toEqual([]);
      expect(search.active).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
