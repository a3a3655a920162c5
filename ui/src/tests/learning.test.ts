// Teaching and learning through the window on the fake backend: fixing a step of the thinking and
// continuing into a new branch, the Learn page from plan to "Use this model", blind Compare, and the
// versions in Settings.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { FakeBackend } from "../lib/ipc/fake";
import { answers, ask, settled, setup } from "./helpers";

function callsOf(backend: FakeBackend, method: string): unknown[][] {
  return backend.calls.filter((c) => c.method === method).map((c) => c.args);
}

const SCRIPT = () => ({ thinking: ["12 + 30:\n", "2 + 0 = 2.\n", "1 + 3 = 5.\n"], answer: ["52"] });

async function rateUp(answer: HTMLElement): Promise<void> {
  const up = within(answer).getByRole("button", { name: "Good answer" });
  await fireEvent.click(up);
  await waitFor(() => expect(up.getAttribute("aria-pressed")).toBe("true"));
}

/** One answer rated up, then (with `learned`) a finished run on the Learn page. */
async function ratedOnce(learned = false): Promise<FakeBackend> {
  const { backend } = setup({ script: SCRIPT });
  await ask("What is 12 + 30?");
  await settled();
  await rateUp(answers()[0] as HTMLElement);
  if (learned) {
    await go("Learn");
    await fireEvent.click(await screen.findByRole("button", { name: "Start learning" }));
    await screen.findByText(/is ready/);
  }
  return backend;
}

/** Opens a page from the sidebar. */
async function go(name: string): Promise<void> {
  const sidebar = document.querySelector("nav.sidebar") as HTMLElement;
  await fireEvent.click(within(sidebar).getByRole("button", { name }));
}

describe("fixing a step", () => {
  it("continues from the person's rewritten step into a new branch, their words marked and graded", async () => {
    const { backend } = setup({ script: SCRIPT });
    await ask("What is 12 + 30?");
    await settled();
    const first = answers()[0] as HTMLElement;
    await fireEvent.click(within(first).getByRole("button", { name: "Fix the thinking" }));
    const editor = await screen.findByRole("group", { name: "Fix the thinking" });
    const steps = within(editor).getAllByRole("radio");
    expect(steps).toHaveLength(4); // a new first line, then the three steps
    await fireEvent.click(steps[3] as HTMLElement);
    const box = within(editor).getByLabelText(/with step 3 as it should be/) as HTMLTextAreaElement;
    expect(box.value).toBe("12 + 30:\n2 + 0 = 2.\n1 + 3 = 5.");
    await fireEvent.input(box, { target: { value: "12 + 30:\n2 + 0 = 2.\n1 + 3 = 4." } });
    await fireEvent.click(within(editor).getByRole("button", { name: "Continue from here" }));
    await settled();
    const [request] = callsOf(backend, "fixStep")[0] as [{ answer_id: number; person_thinking: string }];
    expect(request.person_thinking).toBe("12 + 30:\n2 + 0 = 2.\n1 + 3 = 4.");
    // The continuation is the branch on screen, beside the original.
    expect(screen.getByText("2 / 2")).toBeTruthy();
    const fixed = answers()[0] as HTMLElement;
    const mark = fixed.querySelector("mark.person");
    if (!mark) await fireEvent.click(within(fixed).getByRole("button", { name: /Thinking|Thought/ }));
    await waitFor(() => expect(fixed.querySelector("mark.person")?.textContent).toContain("1 + 3 = 4."));
    // Graded against the question's own arithmetic: the scripted answer says 52.
    await waitFor(() => expect(within(fixed).getByRole("status").textContent).toContain("Not 42"));
    // Its details say where it came from and which model wrote it.
    await fireEvent.click(within(fixed).getByRole("button", { name: "About this answer" }));
    const info = within(fixed).getByLabelText("About this answer", { selector: "dl" });
    expect(info.textContent).toContain("ponder-tiny");
    expect(info.textContent).toContain(`from your fix of answer ${request.answer_id}`);
  });
});

describe("the Learn page", () => {
  it("shows what the ratings teach, runs, reports progress to the end and uses the new version", async () => {
    const backend = await ratedOnce();
    await go("Learn");
    await screen.findByText("answers to imitate");
    expect(await screen.findByText(/good answers only: SFT/)).toBeTruthy();
    expect(screen.getByText(/6 steps · about 12 s/)).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Start learning" }));
    await screen.findByText(/ponder-tiny-learned-1 is ready: 6 steps/);
    expect(screen.getByText(/Step 6 of 6 · SFT/)).toBeTruthy();
    expect(screen.getByRole("img", { name: /Loss over 6 of 6 steps/ })).toBeTruthy();
    const table = screen.getByRole("table");
    expect(within(table).getByText("6/8 (75%)")).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Use this model" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "In use" })).toBeTruthy());
    const loads = callsOf(backend, "loadModel");
    expect(loads.at(-1)?.[0]).toMatchObject({ source: "folder", path: "/data/models/ponder-tiny-learned-1" });
  });

  it("refuses to start with nothing rated and says why", async () => {
    setup({ script: SCRIPT });
    await go("Learn");
    expect((await screen.findByRole("alert")).textContent).toContain("nothing rated yet");
    expect((screen.getByRole("button", { name: "Start learning" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("a cancelled run offers to resume and resumes to the end", async () => {
    const backend = await ratedOnce();
    backend.learning.steps = 400;
    await go("Learn");
    await fireEvent.click(await screen.findByRole("button", { name: "Start learning" }));
    await fireEvent.click(await screen.findByRole("button", { name: "Cancel" }));
    const resume = await screen.findByRole("button", { name: "Resume ponder-tiny-learned-1" });
    backend.learning.steps = 3;
    await fireEvent.click(resume);
    await screen.findByText(/ponder-tiny-learned-1 is ready/);
  });
});

describe("Compare", () => {
  it("hides which model wrote which answer until both are rated, then counts the comparison", async () => {
    const backend = await ratedOnce(true);
    await go("Compare");
    const second = (await screen.findByRole("combobox", { name: "Second model" })) as HTMLSelectElement;
    await waitFor(() => expect(second.value).toBe("ponder-tiny-learned-1"));
    await fireEvent.input(screen.getByLabelText("Question"), { target: { value: "What is 7 + 8?" } });
    const form = document.querySelector("form.ask") as HTMLElement;
    await fireEvent.click(within(form).getByRole("button", { name: "Compare" }));
    await waitFor(() => expect(screen.getAllByRole("article")).toHaveLength(2));
    await settled();
    const headings = () => screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent?.trim());
    expect(headings()).toEqual(["Answer A", "Answer B"]);
    const [a, b] = screen.getAllByRole("article") as [HTMLElement, HTMLElement];
    expect(within(a).queryByRole("button", { name: "About this answer" })).toBeNull();
    await rateUp(a);
    expect(headings()).toEqual(["Answer A", "Answer B"]);
    await fireEvent.click(within(b).getByRole("button", { name: "Bad answer" }));
    await waitFor(() => expect(headings().join(" ")).toContain("ponder-tiny-learned-1"));
    expect(headings().join(" ")).toMatch(/ponder-tiny\b/);
    // The model in use before the comparison is loaded again.
    const loads = callsOf(backend, "loadModel").map((c) => (c[0] as { source: string }).source);
    expect(loads.at(-1)).toBe("bundled");
    const tally = await backend.comparisonTally();
    expect(tally).toHaveLength(1);
    // A (rated up) is either model, as the blind order fell.
    expect((tally[0]?.left_wins ?? 0) + (tally[0]?.right_wins ?? 0)).toBe(1);
  });
});

describe("versions in Settings", () => {
  it("lists each version with its lineage and renames, uses and deletes it", async () => {
    const backend = await ratedOnce(true);
    await go("Settings");
    const version = (await screen.findByText("ponder-tiny-learned-1")).closest("li") as HTMLElement;
    expect(version.textContent).toContain("From ponder-tiny");
    expect(version.textContent).toContain("held-out questions 13% → 75%");
    await fireEvent.click(within(version).getByRole("button", { name: "Rename" }));
    const name = within(version).getByLabelText("Rename");
    await fireEvent.input(name, { target: { value: "adds better" } });
    await fireEvent.keyDown(name, { key: "Enter" });
    await waitFor(() => expect(version.textContent).toContain("adds better"));
    expect(callsOf(backend, "renameVersion")).toEqual([["ponder-tiny-learned-1", "adds better"]]);
    await fireEvent.click(within(version).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByText("adds better")).toBeNull());
  });
});
