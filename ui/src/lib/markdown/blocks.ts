// An answer is rendered block by block (paragraphs, lists, tables, code fences), so that a finished
// block is parsed once while streaming and a saved answer is rendered the same way it streamed. A block
// ends at a blank line outside a code fence. The scanner only ever reads each character once, however
// the text grows, so streaming a long answer (or one long line) costs linear time in total.

/** Finds block ends in a text that only grows. */
export class BlockScanner {
  /** Start of the first line not yet read. */
  private lineStart = 0;
  /** Where the search for the current line's end resumes (text already searched has no newline). */
  private searched = 0;
  private inFence = false;
  /** Ends of finished blocks found so far, in order. */
  readonly ends: number[] = [];

  /** Reads whatever was appended to `text` since the last call; returns the last finished block's end. */
  scan(text: string): number {
    for (;;) {
      const nl = text.indexOf("\n", Math.max(this.lineStart, this.searched));
      if (nl === -1) {
        this.searched = text.length;
        break;
      }
      const line = text.slice(this.lineStart, nl);
      if (/^\s{0,3}(```|~~~)/.test(line)) this.inFence = !this.inFence;
      else if (!this.inFence && line.trim() === "") this.ends.push(nl + 1);
      this.lineStart = nl + 1;
      this.searched = this.lineStart;
    }
    return this.ends.at(-1) ?? 0;
  }
}

/** Where the last finished block ends: the last blank line outside a code fence. */
export function stableEnd(text: string): number {
  return new BlockScanner().scan(text);
}

/** `text` cut into blocks; together they are exactly `text`. */
export function splitBlocks(text: string): string[] {
  const scanner = new BlockScanner();
  scanner.scan(text);
  const blocks: string[] = [];
  let start = 0;
  for (const end of scanner.ends) {
    // Consecutive blank lines end a block each; keep them with the block before.
    if (end - start > 0 && text.slice(start, end).trim() !== "") {
      blocks.push(text.slice(start, end));
      start = end;
    }
  }
  if (start < text.length) {
    if (blocks.length > 0 && text.slice(start).trim() === "") blocks[blocks.length - 1] += text.slice(start);
    else blocks.push(text.slice(start));
  }
  return blocks;
}
