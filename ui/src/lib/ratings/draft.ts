// A rating being made: thumbs on the answer, optionally on the reasoning, reason chips, a comment and
// a better answer. Turned into what the store's `rate` takes; clearing is a separate action.
import type { Rating, RatingInput, RatingTag, Vote } from "../ipc/types";

export class RatingDraft {
  answer: Vote | null;
  reasoning: Vote | null;
  tags: Set<RatingTag>;
  comment: string;
  corrected: string;

  constructor(current: Rating | null = null) {
    this.answer = current?.answer ?? null;
    this.reasoning = current?.reasoning ?? null;
    this.tags = new Set(current?.tags ?? []);
    this.comment = current?.comment ?? "";
    this.corrected = current?.corrected_answer ?? "";
  }

  /** Clicking a thumb sets it; clicking the same one again takes it back. */
  vote(v: Vote): void {
    this.answer = this.answer === v ? null : v;
  }

  voteReasoning(v: Vote): void {
    this.reasoning = this.reasoning === v ? null : v;
  }

  toggleTag(tag: RatingTag): void {
    if (this.tags.has(tag)) this.tags.delete(tag);
    else this.tags.add(tag);
  }

  /** What to save, or `null` when nothing is chosen (the store would refuse it: clear instead). */
  toInput(): RatingInput | null {
    const corrected = this.corrected.trim() ? this.corrected : null;
    if (this.answer === null && this.reasoning === null && corrected === null) return null;
    return {
      answer: this.answer,
      reasoning: this.reasoning,
      tags: [...this.tags].sort(),
      comment: this.comment.trim() ? this.comment : null,
      corrected_answer: corrected,
    };
  }
}
