// Re-rendering a whole answer for every token is quadratic. Finished blocks (paragraphs, lists, code
// fences closed) are rendered once and kept; only the block still being written is rendered again, and
// only while it is small: past LIVE_TAIL_CHARS it is shown as text until it ends, so no frame costs
// more than a bounded parse however long the model writes without a blank line. The finished part
// grows as a list of chunks, so the page adds the new chunk's DOM instead of rebuilding all of it.
import { BlockScanner } from "./blocks";
import { escapeHtml } from "./highlight";
import { renderBlocks } from "./render";

export { stableEnd } from "./blocks";

/** The open block is parsed each frame up to this size; beyond it, shown as text until it ends. */
export const LIVE_TAIL_CHARS = 4_000;

export class IncrementalMarkdown {
  private text = "";
  private stable = 0;
  private stableHtml = "";
  private tailHtml = "";
  private scanner = new BlockScanner();
  private finished = false;
  /** The finished blocks' HTML, one chunk per append that finished any. */
  readonly chunks: string[] = [];
  /** How many times markdown was rendered (for tests and the benchmark). */
  renders = 0;

  /** Appends text and returns the HTML of everything so far. */
  append(chunk: string): string {
    this.text += chunk;
    const end = this.scanner.scan(this.text);
    if (end > this.stable) {
      // Each finished block on its own, as a saved answer is rendered; sanitized together.
      const blocks: string[] = [];
      let from = this.stable;
      for (const e of this.scanner.ends) {
        if (e <= from) continue;
        if (e > end) break;
        blocks.push(this.text.slice(from, e));
        from = e;
      }
      const html = this.render(blocks);
      this.stableHtml += html;
      if (html) this.chunks.push(html);
      this.stable = end;
    }
    const tail = this.text.slice(this.stable);
    this.tailHtml =
      tail.length > LIVE_TAIL_CHARS ? `<div class="md-plain md-live">${escapeHtml(tail)}</div>` : this.render([tail]);
    return this.stableHtml + this.tailHtml;
  }

  /** The answer ended: the open block is rendered as a finished one (in place, so the finished
   * blocks' DOM is kept). */
  finish(): string {
    if (!this.finished) this.tailHtml = this.render([this.text.slice(this.stable)]);
    this.finished = true;
    return this.stableHtml + this.tailHtml;
  }

  /** The HTML so far in two parts: finished blocks (changes only when a block ends) and the open one,
   * so the page can keep the finished part's DOM while the open block is replaced each frame. */
  get parts(): { stable: string; tail: string } {
    return { stable: this.stableHtml, tail: this.tailHtml };
  }

  private render(blocks: string[]): string {
    const real = blocks.filter((b) => b.trim() !== "");
    if (real.length === 0) return "";
    this.renders += real.length;
    return renderBlocks(real).html;
  }
}
