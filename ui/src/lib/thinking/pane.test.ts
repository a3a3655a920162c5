import { describe, expect, it } from "vitest";
import { ThinkingPane, formatSeconds } from "./pane.svelte";

describe("ThinkingPane", () => {
  it("is open while thinking and folds with a summary when the answer starts", () => {
    const pane = new ThinkingPane("auto");
    pane.thinking("7 + 9 = 16", 1_000);
    pane.thinking(", carry 1", 1_500);
    expect(pane.open).toBe(true);
    expect(pane.phase).toBe("thinking");
    expect(pane.seconds(3_000)).toBe(2);
    pane.answer(4_200);
    expect(pane.open).toBe(false);
    pane.finish(5_000, 42);
    // The time stops when the answer starts; the engine's count replaces the chunks counted.
    expect(pane.seconds(99_000)).toBeCloseTo(3.2);
    expect(pane.tokens).toBe(42);
    expect(pane.text).toBe("7 + 9 = 16, carry 1");
  });

  it("can be reopened and folded by hand, and the setting can keep it open or closed", () => {
    const pane = new ThinkingPane("auto");
    pane.thinking("x", 0);
    pane.answer(1_000);
    pane.toggle();
    expect(pane.open).toBe(true);
    pane.toggle();
    expect(pane.open).toBe(false);

    const open = new ThinkingPane("open");
    open.thinking("x", 0);
    open.answer(10);
    expect(open.open).toBe(true);
    const closed = new ThinkingPane("closed");
    closed.thinking("x", 0);
    expect(closed.open).toBe(false);
  });

  it("keeps what was thought when stopped mid-thinking", () => {
    const pane = new ThinkingPane();
    pane.thinking("partial", 0);
    pane.finish(12_345);
    expect(pane.phase).toBe("done");
    expect(pane.text).toBe("partial");
    expect(pane.seconds(0)).toBeCloseTo(12.345);
    expect(pane.tokens).toBe(1);
  });

  it("formats seconds", () => {
    expect(formatSeconds(0.04)).toBe("0.0 s");
    expect(formatSeconds(0.04, true)).toBe("< 0.1 s");
    expect(formatSeconds(0.05, true)).toBe("0.1 s");
    expect(formatSeconds(9.94)).toBe("9.9 s");
    expect(formatSeconds(10.4)).toBe("10 s");
  });
});
