// The export view: the request built from the form, the report, and the ratings chart drawn from
// ratingStats().
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { FakeBackend } from "../lib/ipc/fake";
import type { ExportRequest, RatingStats } from "../lib/ipc/types";
import { setup } from "./helpers";

async function rated(votes: ("up" | "down")[]): Promise<FakeBackend> {
  const backend = new FakeBackend(undefined, undefined, { settings: { seenWelcome: true } });
  for (const [i, vote] of votes.entries()) {
    const run = await backend.ask(
      {
        conversation_id: null,
        parent_id: null,
        text: `Q${i}`,
        thinking: true,
        thinking_budget: null,
        candidates: 1,
        sampling: null,
      },
      () => {},
    );
    await run.done;
    const thread = await backend.thread(run.conversationId);
    await backend.rate(thread.active_path[1] as number, {
      answer: vote,
      reasoning: null,
      tags: vote === "down" ? ["wrong_answer"] : [],
      comment: null,
      corrected_answer: null,
    });
  }
  return backend;
}

async function openExport(): Promise<void> {
  await fireEvent.click(await screen.findByRole("button", { name: "Export" }));
  await screen.findByRole("heading", { name: "Export", level: 1 });
}

describe("export", () => {
  it("builds the request from the form and shows the report", async () => {
    const backend = await rated(["up", "up", "down"]);
    setup({ backend });
    await openExport();
    const run = screen.getByRole("button", { name: "Export ratings" }) as HTMLButtonElement;
    const folder = (await screen.findByLabelText("Folder to write into (new or empty)")) as HTMLInputElement;
    expect(folder.value).toBe("");
    expect(folder.placeholder).toBe("No folder chosen");
    expect(run.disabled).toBe(true);

    await fireEvent.click(screen.getByLabelText("SFT (TRL)")); // off
    await fireEvent.click(screen.getByLabelText("Full archive")); // on
    await fireEvent.click(screen.getByLabelText("Inline (<think>)"));
    await fireEvent.change(screen.getByLabelText("Vote"), { target: { value: "down" } });
    await fireEvent.input(screen.getByLabelText("From"), { target: { value: "2024-03-01" } });
    await fireEvent.input(screen.getByLabelText("Test share"), { target: { value: "0.2" } });
    await fireEvent.click(
      within(screen.getByRole("group", { name: "Tags" })).getByRole("button", { name: "Wrong answer" }),
    );
    await fireEvent.click(
      within(screen.getByRole("group", { name: "Models" })).getByRole("button", { name: "ponder-tiny" }),
    );
    await fireEvent.click(screen.getByLabelText("TRL training kit"));
    await fireEvent.click(screen.getByRole("button", { name: "Choose folder…" }));
    await waitFor(() => expect(folder.value).toBe("/home/me/export"));
    await fireEvent.click(run);

    await screen.findByText("Written to /home/me/export");
    const request = backend.calls.find((c) => c.method === "exportRatings")?.args[0] as ExportRequest;
    expect(request).toEqual({
      folder: "/home/me/export",
      formats: ["kto", "dpo", "archive"],
      reasoning: "inline",
      models: ["ponder-tiny"],
      since_ms: new Date(2024, 2, 1).getTime(),
      until_ms: null,
      vote: "down",
      tags: ["wrong_answer"],
      test_fraction: 0.2,
      trainer: "trl",
    });
    const table = screen.getByRole("table");
    const rows = within(table)
      .getAllByRole("row")
      .map((r) => r.textContent);
    expect(rows).toContain("archive/train.jsonl1");
    expect(screen.getByText("0 up · 1 down", { selector: "p" })).toBeTruthy();
  });

  it("draws the ratings chart from ratingStats: bars per day and per model", async () => {
    const backend = new FakeBackend(undefined, undefined, { settings: { seenWelcome: true } });
    const stats: RatingStats = {
      days: [
        { day: "2024-05-01", model: "ponder-tiny", up: 3, down: 1 },
        { day: "2024-05-01", model: "Qwen3-0.6B", up: 1, down: 0 },
        { day: "2024-05-02", model: "ponder-tiny", up: 0, down: 2 },
        { day: "2024-05-04", model: "Qwen3-0.6B", up: 5, down: 1 },
      ],
      up: 9,
      down: 4,
      models: ["Qwen3-0.6B", "ponder-tiny"],
    };
    backend.ratingStats = async () => stats;
    setup({ backend });
    await openExport();
    const chart = await screen.findByRole("img", { name: "Ratings per day over 3 days" });
    const ups = Array.from(chart.querySelectorAll("rect.bar.up"));
    const downs = Array.from(chart.querySelectorAll("rect.bar.down"));
    expect(ups.length).toBe(3);
    expect(downs.length).toBe(3);
    // The busiest day (5 up) fills the plot; 4 up is 4/5 of it.
    const heights = ups.map((r) => Number(r.getAttribute("height")));
    expect(heights[2]).toBeCloseTo(120);
    expect(heights[0]).toBeCloseTo(96);
    expect(Number(downs[1]?.getAttribute("height"))).toBeCloseTo(48);
    const models = within(screen.getByRole("list", { name: "Ratings per model" })).getAllByRole("listitem");
    expect(models.map((m) => m.textContent?.replace(/\s+/g, " ").trim())).toEqual([
      "Qwen3-0.6B 6 / 1",
      "ponder-tiny 3 / 3",
    ]);
  });
});
