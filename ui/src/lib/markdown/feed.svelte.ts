// Markdown on the page for text that is shown whole (a saved answer or thinking) or that grows (a
// stream): it is fed to IncrementalMarkdown a slice at a time, at most FRAME_BUDGET_MS of rendering
// per frame, so a 100,000-character text opened at once never freezes the window — its first screen
// is on the page in the first frame and the rest follows frame by frame, each slice's DOM added once.
import { IncrementalMarkdown } from "./incremental";

/** Rendering per frame before the rest waits for the next one. */
export const FRAME_BUDGET_MS = 10;
/** Text fed at a time (then extended to the next blank line, so slices end between blocks). */
const SLICE_CHARS = 600;
/** Text added to the page per frame at most, however cheap (cached) its rendering: the page's own
 * parsing and layout of it are not counted in the budget. */
const FRAME_CHARS = 6_000;

function nextCut(text: string, from: number): number {
  if (text.length - from <= SLICE_CHARS) return text.length;
  const blank = text.indexOf("\n\n", from + SLICE_CHARS);
  return blank === -1 ? text.length : blank + 2;
}

export class MarkdownFeed {
  /** Finished blocks' HTML, a chunk per slice (sanitized). */
  chunks: string[] = $state([]);
  /** The open block's HTML (sanitized), replaced as it grows. */
  tail: string = $state("");
  /** Whether all of the text so far is on the page. */
  caughtUp: boolean = $state(true);
  private md = new IncrementalMarkdown();
  private text = "";
  private fed = 0;
  private final = false;
  private finished = false;
  private frame: number | null = null;
  private taken = 0;

  /** Shows `text`; `final` when it will not grow any more. Text that does not extend what was shown
   * starts the rendering again. */
  show(text: string, final: boolean): void {
    if (!text.startsWith(this.text) || (this.finished && text !== this.text)) this.reset();
    this.text = text;
    this.final = final;
    this.pump();
  }

  /** Stops any rendering still scheduled (the component went away). */
  dispose(): void {
    if (this.frame !== null) cancelAnimationFrame(this.frame);
    this.frame = null;
  }

  private reset(): void {
    this.dispose();
    this.md = new IncrementalMarkdown();
    this.fed = 0;
    this.taken = 0;
    this.finished = false;
    this.chunks = [];
    this.tail = "";
  }

  private pump(): void {
    if (this.frame !== null) return;
    const started = performance.now();
    const limit = this.fed + FRAME_CHARS;
    while (this.fed < this.text.length && this.fed < limit && performance.now() - started < FRAME_BUDGET_MS) {
      const cut = nextCut(this.text, this.fed);
      this.md.append(this.text.slice(this.fed, cut));
      this.fed = cut;
    }
    if (this.fed >= this.text.length && this.final && !this.finished) {
      this.md.finish();
      this.finished = true;
    }
    if (this.md.chunks.length > this.taken) {
      this.chunks.push(...this.md.chunks.slice(this.taken));
      this.taken = this.md.chunks.length;
    }
    const tail = this.md.parts.tail;
    if (tail !== this.tail) this.tail = tail;
    this.caughtUp = this.fed >= this.text.length;
    if (!this.caughtUp) {
      this.frame = requestAnimationFrame(() => {
        this.frame = null;
        this.pump();
      });
    }
  }
}
