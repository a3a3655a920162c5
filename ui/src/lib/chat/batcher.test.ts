import { describe, expect, it } from "vitest";
import { FrameBatcher } from "./batcher";

describe("FrameBatcher", () => {
  it("delivers everything pushed within a frame as one batch, in order", () => {
    const frames: (() => void)[] = [];
    const batches: number[][] = [];
    const b = new FrameBatcher<number>(
      (batch) => batches.push(batch),
      (f) => frames.push(f),
    );
    for (let i = 0; i < 1000; i++) b.push(i);
    expect(frames.length).toBe(1);
    frames[0]?.();
    b.push(1000);
    frames[1]?.();
    expect(batches.length).toBe(2);
    expect(batches[0]?.length).toBe(1000);
    expect(batches[1]).toEqual([1000]);
  });

  it("flushes on demand and ignores an empty frame", () => {
    const frames: (() => void)[] = [];
    const batches: string[][] = [];
    const b = new FrameBatcher<string>(
      (batch) => batches.push(batch),
      (f) => frames.push(f),
    );
    b.push("a");
    b.flush();
    frames[0]?.();
    expect(batches).toEqual([["a"]]);
  });
});
