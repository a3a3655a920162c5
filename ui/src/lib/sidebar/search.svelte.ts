// The sidebar's search: typing waits a moment (debounce) before asking the store; an answer to an
// older query that arrives late is dropped.
import type { Backend } from "../ipc/backend";
import type { SearchHit } from "../ipc/types";

export const DEBOUNCE_MS = 250;

export class ConversationSearch {
  text = $state("");
  includeThinking = $state(false);
  hits: SearchHit[] = $state([]);
  searching = $state(false);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  constructor(
    private backend: Backend,
    private fail: (e: unknown) => void,
    private delay = DEBOUNCE_MS,
  ) {}

  get active(): boolean {
    return this.text.trim() !== "";
  }

  /** Call after `text` or `includeThinking` changed. */
  changed(): void {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    if (!this.active) {
      this.hits = [];
      this.searching = false;
      return;
    }
    this.searching = true;
    this.timer = setTimeout(() => void this.run(generation), this.delay);
  }

  private async run(generation: number): Promise<void> {
    try {
      const hits = await this.backend.search({
        text: this.text.trim(),
        include_thinking: this.includeThinking,
        limit: 50,
      });
      if (generation === this.generation) this.hits = hits;
    } catch (e) {
      if (generation === this.generation) this.fail(e);
    } finally {
      if (generation === this.generation) this.searching = false;
    }
  }

  clear(): void {
    this.text = "";
    this.changed();
  }
}
