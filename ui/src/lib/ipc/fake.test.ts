// The in-memory backend behaves like the real one: streaming, the message tree, history, search, ratings,
// model and export.
import { describe, expect, it } from "vitest";
import { FakeBackend } from "./fake";
import type { AnswerEvent } from "./types";

const request = {
  conversation_id: null,
  parent_id: null,
  text: "2 + 2?",
  thinking: true,
  thinking_budget: null,
  candidates: 1,
  sampling: null,
};

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

const ask = (text: string, conversation_id: number | null = null, parent_id: number | null = null, candidates = 1) => ({
  conversation_id,
  parent_id,
  text,
  thinking: true,
  thinking_budget: null,
  candidates,
  sampling: null,
});

describe("FakeBackend history", () => {
  it("keeps a message tree: regenerate adds a sibling on screen, setActive switches back", async () => {
    const backend = new FakeBackend((r) => ({ thinking: ["t"], answer: [`re: ${r.text}`] }));
    const first = await backend.ask(ask("Q"), () => {});
    await first.done;
    let thread = await backend.thread(first.conversationId);
    const [q, a1] = thread.active_path as [number, number];
    expect(q).toBe(first.questionId);
    expect(thread.messages.find((m) => m.id === a1)).toMatchObject({
      role: "assistant",
      content: "re: Q",
      thinking: "t",
      status: "complete",
      parent_id: q,
    });

    const again = await backend.regenerate(
      { question_id: q, thinking: false, thinking_budget: null, candidates: 1, sampling: null },
      () => {},
    );
    expect(again.questionId).toBe(q);
    await again.done;
    thread = await backend.thread(first.conversationId);
    const a2 = thread.active_path[1] as number;
    expect(a2).not.toBe(a1);
    expect(thread.messages.filter((m) => m.parent_id === q).length).toBe(2);
    expect(await backend.setActive(a1)).toEqual([q, a1]);
  });

  it("an edited question under the same parent is a new branch, shown at once", async () => {
    const backend = new FakeBackend();
    const one = await backend.ask(ask("one"), () => {});
    await one.done;
    const a1 = (await backend.thread(one.conversationId)).active_path[1] as number;
    const two = await backend.ask(ask("two", one.conversationId, a1), () => {});
    await two.done;
    const edit = await backend.ask(ask("two, edited", one.conversationId, a1), () => {});
    await edit.done;
    const thread = await backend.thread(one.conversationId);
    expect(thread.active_path[2]).toBe(edit.questionId);
    expect(thread.messages.filter((m) => m.parent_id === a1).map((m) => m.content)).toEqual(["two", "two, edited"]);
    await backend.setActive(two.questionId);
    expect((await backend.thread(one.conversationId)).active_path[2]).toBe(two.questionId);
  });

  it("streams one answer per candidate", async () => {
    const backend = new FakeBackend(() => ({ thinking: [], answer: ["x"] }));
    const seen: AnswerEvent[] = [];
    const run = await backend.ask(ask("Q", null, null, 3), (e) => seen.push(...e));
    await run.done;
    const finished = seen.filter((e) => e.event.type === "finished");
    expect(new Set(finished.map((e) => e.answer_id)).size).toBe(3);
    expect(finished.map((e) => e.candidate)).toEqual([0, 1, 2]);
  });

  it("lists newest first with cursors, renames, deletes and restores", async () => {
    const backend = new FakeBackend();
    for (const text of ["a", "b", "c"]) await (await backend.ask(ask(text), () => {})).done;
    const page = await backend.listConversations(2, null);
    expect(page.items.map((c) => c.title)).toEqual(["c", "b"]);
    const rest = await backend.listConversations(2, page.next);
    expect(rest.items.map((c) => c.title)).toEqual(["a"]);
    expect(rest.next).toBeNull();
    const id = page.items[0]?.id as number;
    await backend.renameConversation(id, "renamed");
    await backend.deleteConversation(id);
    expect((await backend.listConversations(10, null)).items.map((c) => c.title)).toEqual(["b", "a"]);
    await expect(backend.thread(id)).rejects.toMatchObject({ kind: "not_found" });
    await backend.restoreConversation(id);
    expect((await backend.listConversations(10, null)).items.map((c) => c.title)).toContain("renamed");
  });

  it("searches titles, questions and answers (thinking on request) with highlighted snippets", async () => {
    const backend = new FakeBackend((r) => ({
      thinking: ["carry the one"],
      answer: [`The answer to ${r.text} is 936.`],
    }));
    await (
      await backend.ask(ask("What is 347 + 589?"), () => {})
    ).done;
    const hits = await backend.search({ text: "936", include_thinking: false, limit: 10 });
    expect(hits.map((h) => h.field)).toEqual(["answer"]);
    expect(hits[0]?.snippet.filter((p) => p.highlight).map((p) => p.text)).toEqual(["936"]);
    // 32 characters of context before the match, cut with an ellipsis like the store's.
    expect(hits[0]?.snippet.map((p) => p.text).join("")).toBe("…answer to What is 347 + 589? is 936.");
    expect(await backend.search({ text: "carry", include_thinking: false, limit: 10 })).toEqual([]);
    const thinking = await backend.search({ text: "CARRY one", include_thinking: true, limit: 10 });
    expect(thinking.map((h) => h.field)).toEqual(["thinking"]);
    expect(thinking[0]?.snippet.filter((p) => p.highlight).map((p) => p.text)).toEqual(["carry", "one"]);
    const title = await backend.search({ text: "347", include_thinking: false, limit: 10 });
    expect(title.map((h) => h.field)).toEqual(["title", "answer", "question"]);
  });

  it("rates, clears and counts ratings per day and model", async () => {
    const backend = new FakeBackend();
    const run = await backend.ask(ask("Q"), () => {});
    await run.done;
    const answer = (await backend.thread(run.conversationId)).active_path[1] as number;
    const rating = await backend.rate(answer, {
      answer: "down",
      reasoning: "up",
      tags: ["too_long"],
      comment: "meh",
      corrected_answer: null,
    });
    expect(rating).toMatchObject({ answer: "down", reasoning: "up", tags: ["too_long"], comment: "meh" });
    const stats = await backend.ratingStats();
    expect(stats).toMatchObject({ up: 0, down: 1, models: ["ponder-tiny"] });
    expect(stats.days).toEqual([{ day: new Date().toISOString().slice(0, 10), model: "ponder-tiny", up: 0, down: 1 }]);
    await expect(
      backend.rate(run.questionId, { answer: "up", reasoning: null, tags: [], comment: null, corrected_answer: null }),
    ).rejects.toMatchObject({ kind: "invalid" });
    await backend.clearRating(answer);
    expect((await backend.ratingStats()).down).toBe(0);
  });

  it("refuses to answer without a model, and fails a call on request", async () => {
    const backend = new FakeBackend(undefined, undefined, { status: { state: "empty" } });
    await expect(backend.ask(ask("Q"), () => {})).rejects.toMatchObject({ kind: "no_model" });
    backend.failNext("listModels", { kind: "io", message: "nope" });
    await expect(backend.listModels()).rejects.toEqual({ kind: "io", message: "nope" });
    expect((await backend.listModels()).length).toBeGreaterThan(0);
  });

  it("loads a hub model with download progress, and exports a report", async () => {
    const backend = new FakeBackend();
    const progress: string[] = [];
    const status = await backend.loadModel(
      { source: "hub", id: "Qwen/Qwen3-0.6B", device: "cpu", quantization: "q8_0" },
      (p) => progress.push(p.stage),
    );
    expect(status).toMatchObject({ state: "ready", info: { id: "Qwen/Qwen3-0.6B", quantization: "q8_0" } });
    expect(progress.filter((s) => s === "downloading").length).toBe(5);
    expect(progress.slice(-3)).toEqual(["checking", "loading", "ready"]);
    await backend.saveSettings({ a: 1 });
    expect(await backend.loadSettings()).toEqual({ a: 1 });
  });
});
