// Compare: one question answered by two models, one after the other (the engine holds one model at a
// time), each answer saved and rated as usual. In blind mode the two are shown in a random order as
// "A" and "B" and named only once both are rated; the model in use before is loaded again after.
import type { ChatSession } from "../chat/session.svelte";
import type { Message, ModelChoice } from "../ipc/types";

/** A model the person can compare. */
export interface Contender {
  /** The name answers record (`ponder-tiny`, `ponder-tiny-learned-1`). */
  name: string;
  /** What people call it (a version's label). */
  label: string;
  choice: ModelChoice;
}

export interface CompareHooks {
  /** Loads `choice` as the model in use; false when it failed (the failure is shown). */
  load(choice: ModelChoice): Promise<boolean>;
  /** The name of the model in use and how to load it again, or null. */
  current(): Contender | null;
  /** Randomness for the blind order (tests pass their own). */
  random?: () => number;
}

export type ComparePhase = "idle" | "first" | "second" | "restoring" | "done";

export class CompareSession {
  phase: ComparePhase = $state("idle");
  blind = $state(true);
  /** In blind mode, whether the second contender is shown on the left. */
  swapped = $state(false);
  first: Contender | null = $state(null);
  second: Contender | null = $state(null);
  questionId: number | null = $state(null);
  firstAnswer: number | null = $state(null);
  secondAnswer: number | null = $state(null);

  constructor(
    readonly chat: ChatSession,
    private hooks: CompareHooks,
  ) {}

  get running(): boolean {
    return this.phase === "first" || this.phase === "second" || this.phase === "restoring";
  }

  private answer(id: number | null): Message | null {
    return id === null ? null : (this.chat.thread?.messages.find((m) => m.id === id) ?? null);
  }

  /** Both answers rated: the blind names can be shown. */
  get revealed(): boolean {
    if (!this.blind) return true;
    const a = this.answer(this.firstAnswer);
    const b = this.answer(this.secondAnswer);
    return !!a?.rating?.answer && !!b?.rating?.answer;
  }

  /** The two columns, left to right: which contender and which answer. */
  get columns(): { contender: Contender | null; answerId: number | null; letter: "A" | "B" }[] {
    const cols = [
      { contender: this.first, answerId: this.firstAnswer },
      { contender: this.second, answerId: this.secondAnswer },
    ];
    if (this.blind && this.swapped) cols.reverse();
    return cols.map((c, i) => ({ ...c, letter: i === 0 ? ("A" as const) : ("B" as const) }));
  }

  /** Asks `question` of `first`, then of `second`; returns when both answered and the model in use
   * before is back. */
  async run(question: string, first: Contender, second: Contender): Promise<void> {
    if (this.running || !question.trim()) return;
    const before = this.hooks.current();
    this.first = first;
    this.second = second;
    this.swapped = this.blind && (this.hooks.random ?? Math.random)() < 0.5;
    this.firstAnswer = this.secondAnswer = this.questionId = null;
    this.chat.newChat();
    try {
      this.phase = "first";
      if (before?.name !== first.name && !(await this.hooks.load(first.choice))) return;
      const asked = await this.chat.ask(question);
      const q = this.chat.thread?.messages.find((m) => m.role === "user") ?? null;
      if (!asked || !q) return;
      this.questionId = q.id;
      this.firstAnswer = this.answersTo(q.id)[0] ?? null;
      this.phase = "second";
      if (first.name !== second.name && !(await this.hooks.load(second.choice))) return;
      await this.chat.regenerate(q.id);
      this.secondAnswer = this.answersTo(q.id).find((id) => id !== this.firstAnswer) ?? null;
      if (before && before.name !== second.name) {
        this.phase = "restoring";
        await this.hooks.load(before.choice);
      }
    } finally {
      this.phase = "done";
    }
  }

  private answersTo(questionId: number): number[] {
    const ids = (this.chat.thread?.messages ?? [])
      .filter((m) => m.parent_id === questionId && m.role === "assistant")
      .map((m) => m.id);
    return ids.sort((a, b) => a - b);
  }
}
