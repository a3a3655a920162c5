import { describe, expect, it } from "vitest";
import { MarkdownFeed } from "./feed.svelte";
import { renderAnswer } from "./render";

function longText(steps: number): string {
  let out = "";
  for (let i = 1; i <= steps; i++)
    out += `## Step ${i}\n\nWe add **${i}** and $x^{${i}}$.\n\n- one ${i}\n- two\n\n| a | b |\n|---|---|\n| ${i} | 2 |\n\n`;
  return out;
}

function textOf(html: string): string {
  const d = document.createElement("div");
  d.innerHTML = html;
  return d.textContent ?? "";
}

async function caughtUp(feed: MarkdownFeed): Promise<number> {
  let frames = 0;
  while (!feed.caughtUp) {
    await new Promise((r) => requestAnimationFrame(r));
    frames += 1;
    if (frames > 10_000) throw new Error("the feed never caught up");
  }
  return frames;
}

describe("MarkdownFeed", () => {
  it("shows a long text over several frames, the same as rendering it whole", async () => {
    const text = longText(400);
    const feed = new MarkdownFeed();
    feed.show(text, true);
    // The first frame has the start of the text, not all of it.
    expect(feed.caughtUp).toBe(false);
    expect(textOf(feed.chunks.join(""))).toContain("Step 1");
    const frames = await caughtUp(feed);
    expect(frames).toBeGreaterThan(0);
    const html = feed.chunks.join("") + feed.tail;
    expect(textOf(html)).toBe(textOf(renderAnswer(text).html));
    expect(textOf(html)).toContain("Step 400");
  });

  it("follows a growing text, adding only the newly finished blocks", async () => {
    const feed = new MarkdownFeed();
    feed.show("First paragraph.\n\nSecond", false);
    await caughtUp(feed);
    const chunks = feed.chunks.length;
    expect(textOf(feed.tail)).toContain("Second");
    feed.show("First paragraph.\n\nSecond grows.\n\nThird", false);
    await caughtUp(feed);
    expect(feed.chunks.length).toBe(chunks + 1);
    expect(textOf(feed.chunks.at(-1) ?? "")).toContain("Second grows.");
    feed.show("First paragraph.\n\nSecond grows.\n\nThird and last.", true);
    expect(textOf(feed.tail)).toContain("Third and last.");
  });

  it("starts again for a text that does not extend the one shown", async () => {
    const feed = new MarkdownFeed();
    feed.show("One answer.", true);
    feed.show("Another.", true);
    await caughtUp(feed);
    const all = textOf(feed.chunks.join("") + feed.tail);
    expect(all).toContain("Another.");
    expect(all).not.toContain("One answer.");
  });
});

describe("renderAnswer's cache", () => {
  it("gives the same HTML the second time", () => {
    const text = longText(20);
    expect(renderAnswer(text).html).toBe(renderAnswer(text).html);
  });
});
