// Streaming events arrive far faster than the screen refreshes: collect them and hand them over once
// per animation frame, so a long thinking stream costs one update per frame, not one per token.

export type Schedule = (flush: () => void) => void;

/** requestAnimationFrame where there is one (the webview), a 16 ms timer elsewhere. */
export const perFrame: Schedule = (flush) => {
  if (typeof requestAnimationFrame === "function") requestAnimationFrame(() => flush());
  else setTimeout(flush, 16);
};

export class FrameBatcher<T> {
  private pending: T[] = [];
  private scheduled = false;

  constructor(
    private deliver: (batch: T[]) => void,
    private schedule: Schedule = perFrame,
  ) {}

  /** Queues items; they are delivered together at the next frame. */
  push(...items: T[]): void {
    this.pending.push(...items);
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** Delivers whatever is queued now (e.g. when the stream ends). */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.deliver(batch);
  }
}
