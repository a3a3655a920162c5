// The thinking pane of one answer: open and following the text while the model thinks, folded to
// "Thought for N s · T tokens" when the answer starts (in "auto" mode), reopenable at any time.

/** How panes start: follow the answer ("auto"), or stay open or closed. */
export type PaneMode = "auto" | "open" | "closed";

/** Where the answer is. */
export type Phase = "waiting" | "thinking" | "answering" | "done";

/** Seconds as the label shows them: one decimal under ten seconds, whole seconds above. A `finished`
 * thought shorter than 50 ms shows "< 0.1 s" rather than a "0.0 s" that reads as no thinking at all. */
export function formatSeconds(seconds: number, finished = false): string {
  if (finished && seconds < 0.05) return "< 0.1 s";
  return seconds < 10 ? `${seconds.toFixed(1)} s` : `${Math.round(seconds)} s`;
}

export class ThinkingPane {
  mode: PaneMode;
  phase: Phase = $state("waiting");
  text: string = $state("");
  tokens: number = $state(0);
  /** The person's own choice for this pane, which wins over the mode. */
  private override: boolean | null = $state(null);
  private startedAt: number | null = null;
  private endedAt: number | null = $state(null);

  constructor(mode: PaneMode = "auto") {
    this.mode = mode;
  }

  /** Whether the pane shows its text now. */
  get open(): boolean {
    if (this.override !== null) return this.override;
    if (this.mode !== "auto") return this.mode === "open";
    return this.phase === "thinking" || this.phase === "waiting";
  }

  /** Seconds spent thinking (so far, or in all). */
  seconds(now: number): number {
    if (this.startedAt === null) return 0;
    return ((this.endedAt ?? now) - this.startedAt) / 1000;
  }

  /** More thinking text arrived at time `now` (ms). */
  thinking(chunk: string, now: number): void {
    if (this.startedAt === null) this.startedAt = now;
    this.phase = "thinking";
    this.text += chunk;
    this.tokens += 1;
  }

  /** The first (or a later) piece of the answer arrived: thinking is over. */
  answer(now: number): void {
    if (this.phase === "thinking" || this.phase === "waiting") {
      this.endedAt = now;
      this.phase = "answering";
    }
  }

  /** The generation ended; `thinkingTokens` is the engine's exact count, when known. */
  finish(now: number, thinkingTokens?: number): void {
    if (this.endedAt === null && this.startedAt !== null) this.endedAt = now;
    if (thinkingTokens !== undefined) this.tokens = thinkingTokens;
    this.phase = "done";
  }

  /** The person opens or folds the pane. */
  toggle(): void {
    this.override = !this.open;
  }
}
