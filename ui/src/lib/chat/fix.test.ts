import { describe, expect, it } from "vitest";
import { draftFor, personLength, stepsOf } from "./fix";

describe("fixing a step", () => {
  const thinking = "Units: 2 - 6 needs a borrow.\n\n12 - 6 = 6.\nTens: 1 - 2 = 9.\n";

  it("offers each written line as a step", () => {
    expect(stepsOf(thinking)).toEqual(["Units: 2 - 6 needs a borrow.", "12 - 6 = 6.", "Tens: 1 - 2 = 9."]);
    expect(stepsOf(null)).toEqual([]);
  });

  it("starts the draft with the steps before the chosen one and the chosen one to rewrite", () => {
    const steps = stepsOf(thinking);
    expect(draftFor(steps, 2)).toBe("Units: 2 - 6 needs a borrow.\n12 - 6 = 6.\nTens: 1 - 2 = 9.");
    expect(draftFor(steps, 0)).toBe("Units: 2 - 6 needs a borrow.");
    expect(draftFor(steps, -1)).toBe("");
  });

  it("marks the person's words only where the thinking starts with them", () => {
    expect(personLength("Tens: 4 - 2 = 2.\nSo 26.", "Tens: 4 - 2 = 2.\n")).toBe(16);
    expect(personLength("The model's own.", "Tens: 4 - 2 = 2.\n")).toBe(0);
    expect(personLength("Anything", null)).toBe(0);
  });
});
