// Chart geometry and the export form → request conversion.
import { describe, expect, it } from "vitest";
import type { RatingStats } from "../ipc/types";
import { dayBars, perDay, perModel } from "./chart";
import { defaultForm, toRequest } from "./form";

const stats: RatingStats = {
  days: [
    { day: "2024-01-02", model: "b", up: 1, down: 3 },
    { day: "2024-01-01", model: "a", up: 2, down: 0 },
    { day: "2024-01-02", model: "a", up: 1, down: 1 },
  ],
  up: 4,
  down: 4,
  models: ["a", "b"],
};

describe("chart", () => {
  it("sums models per day, oldest first, and scales bars to the busiest", () => {
    expect(perDay(stats)).toEqual([
      { day: "2024-01-01", up: 2, down: 0 },
      { day: "2024-01-02", up: 2, down: 4 },
    ]);
    const bars = dayBars(stats, 200, 100);
    expect(bars.map((b) => [b.upHeight, b.downHeight])).toEqual([
      [50, 0],
      [50, 100],
    ]);
    expect(bars[1]!.x).toBeGreaterThan(bars[0]!.x + bars[0]!.width * 2);
    expect(dayBars({ days: [], up: 0, down: 0, models: [] }, 200, 100)).toEqual([]);
    expect(perDay(stats, 1).map((d) => d.day)).toEqual(["2024-01-02"]);
  });

  it("totals per model, most rated first", () => {
    expect(perModel(stats)).toEqual([
      { model: "a", up: 3, down: 1 },
      { model: "b", up: 1, down: 3 },
    ]);
  });
});

describe("export form", () => {
  it("turns the form into a request: ordered formats, whole days, clamped test share", () => {
    const form = {
      ...defaultForm(),
      folder: "/out",
      formats: ["sft" as const, "kto" as const],
      vote: "up" as const,
      since: "2024-01-01",
      until: "2024-01-31",
      testFraction: 0.9,
    };
    const r = toRequest(form);
    expect(r.formats).toEqual(["kto", "sft"]);
    expect(r.vote).toBe("up");
    expect(r.since_ms).toBe(new Date(2024, 0, 1).getTime());
    expect(r.until_ms).toBe(new Date(2024, 1, 1).getTime() - 1);
    expect(r.test_fraction).toBe(0.5);
    expect(toRequest({ ...defaultForm(), since: "garbage", testFraction: Number.NaN })).toMatchObject({
      since_ms: null,
      until_ms: null,
      vote: null,
      test_fraction: 0,
      trainer: null,
    });
    expect(toRequest({ ...defaultForm(), trlKit: true }).trainer).toBe("trl");
  });
});
