import { describe, expect, it } from "vitest";
import { RatingDraft } from "./draft";

describe("RatingDraft", () => {
  it("builds the store's rating input, every field", () => {
    const d = new RatingDraft();
    d.vote("down");
    d.voteReasoning("up");
    d.toggleTag("wrong_answer");
    d.toggleTag("too_long");
    d.toggleTag("too_long");
    d.comment = "copied a digit wrong";
    d.corrected = "347 + 589 = 936.";
    expect(d.toInput()).toEqual({
      answer: "down",
      reasoning: "up",
      tags: ["wrong_answer"],
      comment: "copied a digit wrong",
      corrected_answer: "347 + 589 = 936.",
    });
  });

  it("starts from the current rating, and an undone vote with nothing else means clear", () => {
    const d = new RatingDraft({
      answer: "up",
      reasoning: null,
      tags: ["correct"],
      comment: null,
      corrected_answer: null,
      created_at: 1,
      updated_at: 1,
    });
    expect(d.toInput()?.tags).toEqual(["correct"]);
    d.vote("up");
    expect(d.toInput()).toBeNull();
    d.corrected = "   ";
    expect(d.toInput()).toBeNull();
  });
});
