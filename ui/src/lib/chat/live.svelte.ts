// One answer while it streams: its thinking pane, the answer's text (rendered by the Markdown
// component as it grows), usage and the finish reason. Kept after the stream ends so the
// "Thought for N s" label and tokens/s stay on screen.
import type { FinishReason, GenerationEvent, Usage } from "../ipc/types";
import { type PaneMode, ThinkingPane } from "../thinking/pane.svelte";

export class LiveAnswer {
  readonly pane: ThinkingPane;
  text: string = $state("");
  usage: Usage | null = $state(null);
  finish: FinishReason | null = $state(null);

  constructor(
    readonly id: number,
    readonly candidate: number,
    mode: PaneMode,
  ) {
    this.pane = new ThinkingPane(mode);
  }

  get done(): boolean {
    return this.finish !== null;
  }

  /** Applies one frame's events (the page renders once for the whole batch). */
  apply(events: GenerationEvent[], now: number): void {
    let answer = "";
    for (const event of events) {
      switch (event.type) {
        case "thinking":
          this.pane.thinking(event.data, now);
          break;
        case "answer":
          this.pane.answer(now);
          answer += event.data;
          break;
        case "usage":
          this.usage = event.data;
          break;
        case "finished":
          this.pane.finish(now, this.usage?.thinking_tokens);
          this.finish = event.data;
          break;
      }
    }
    if (answer) this.text += answer;
  }
}
