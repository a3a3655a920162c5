// Re-rendering a whole answer for every token is quadratic. Finished blocks (paragraphs, lists, code
// fences closed) are rendered once and kept; only the block still being written is rendered again.
import { renderMarkdown } from "./render";

/** Where the last finished block ends: the last blank line outside a code fence. */
export function stableEnd(text: string): number {
  let inFence = false;
  let end = 0;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const nl = text.indexOf("\n", lineStart);
    const lineEnd = nl === -1 ? text.length : nl;
    const line = text.slice(lineStart, lineEnd);
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && line.trim() === "" && nl !== -1) end = nl + 1;
    if (nl === -1) break;
    lineStart = nl + 1;
  }
  return end;
}

export class IncrementalMarkdown {
  private text = "";
  private stable = 0;
  private stableHtml = "";
  private tailHtml = "";
  /** How many times markdown was rendered (for tests and the benchmark). */
  renders = 0;

  /** Appends text and returns the HTML of everything so far. */
  append(chunk: string): string {
    this.text += chunk;
    const end = stableEnd(this.text);
    if (end > this.stable) {
      this.stableHtml += this.render(this.text.slice(this.stable, end));
      this.stable = end;
    }
    this.tailHtml = this.render(this.text.slice(this.stable));
    return this.stableHtml + this.tailHtml;
  }

  /** The HTML so far in two parts: finished blocks (changes only when a block ends) and the open one,
   * so the page can keep the finished part's DOM while the open block is replaced each frame. */
  get parts(): { stable: string; tail: string } {
    return { stable: this.stableHtml, tail: this.tailHtml };
  }

  private render(text: string): string {
    if (text === "") return "";
    this.renders += 1;
    return renderMarkdown(text);
  }
}
