// The model catalog in the first run and in Settings: what each offer says, too-big models hidden
// until asked for, one click downloading with progress and loading, and what the load chose shown.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../lib/settings/settings";
import { Gate, setup } from "./helpers";

const EMPTY = { state: "empty" } as const;

function row(key: string): HTMLElement {
  const li = document.querySelector<HTMLElement>(`.offers li[data-key="${key}"]`);
  if (!li) throw new Error(`no catalog row ${key}`);
  return li;
}

describe("model catalog", () => {
  it("first run: sized offers, the recommended one downloads with progress, loads, and the chat starts", async () => {
    const gate = new Gate();
    const { backend } = setup({ settings: { seenWelcome: false }, tick: gate.tick, options: { status: EMPTY } });
    await screen.findByText("Models for this computer");
    await screen.findByText(/24 GB of memory · 37 GB\/s memory bandwidth · 2 threads/);
    const pick = row("Qwen/Qwen3-0.6B-GGUF:Q8_0");
    expect(pick.classList.contains("recommended")).toBe(true);
    expect(pick.textContent).toMatch(/Qwen3-0\.6B GGUF Q8_0/);
    expect(pick.textContent).toMatch(/Recommended/);
    expect(pick.textContent).toMatch(/download · needs 2\.1 GB · ≈ 16 tokens\/s/);
    expect(within(pick).getByText("Fits")).toBeTruthy();
    // The too-big model is left out until asked for, then shown but not offered.
    expect(document.querySelector('.offers li[data-key="Qwen/QwQ-32B"]')).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Show all 3, including those too big" }));
    const big = row("Qwen/QwQ-32B");
    expect(within(big).getByText("Too big")).toBeTruthy();
    expect((within(big).getByRole("button") as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(within(pick).getByRole("button", { name: "Download and use" }));
    await gate.step(2);
    const bar = (await within(row("Qwen/Qwen3-0.6B-GGUF:Q8_0")).findByRole("progressbar")) as HTMLProgressElement;
    expect(bar.max).toBe(4_000_000);
    gate.release();
    await waitFor(() => expect(document.querySelector(".welcome")).toBeNull());
    expect(backend.calls.find((c) => c.method === "loadModel")?.args[0]).toEqual({
      source: "hub_gguf",
      id: "Qwen/Qwen3-0.6B-GGUF",
      quant: "Q8_0",
      device: "cpu",
    });
    const saved = parseSettings(backend.settingsBlob);
    expect(saved.seenWelcome).toBe(true);
    expect(saved.model).toMatchObject({ source: "hub", hubId: "Qwen/Qwen3-0.6B-GGUF", hubQuant: "Q8_0" });
    expect(backend.calls.filter((c) => c.method === "loadModel")).toHaveLength(1);
  });

  it("settings: the catalog below the model, and what an automatic load chose in the status", async () => {
    const { backend } = setup();
    await fireEvent.click(await screen.findByRole("button", { name: "Settings" }));
    expect(((await screen.findByLabelText("Quantization")) as HTMLSelectElement).value).toBe("auto");
    const folder = row("Qwen/Qwen3-8B");
    await fireEvent.click(within(folder).getByRole("button", { name: "Download and use" }));
    await screen.findByText(
      /Ready: Qwen\/Qwen3-8B on cpu · Q8_0, chosen for the CPU · 2 threads · 40,960-token context/,
    );
    expect(within(row("Qwen/Qwen3-8B")).getByText("In use")).toBeTruthy();
    expect(backend.calls.find((c) => c.method === "loadModel")?.args[0]).toMatchObject({
      source: "hub",
      quantization: "auto",
    });
    expect(backend.calls.filter((c) => c.method === "modelCatalog").length).toBeGreaterThanOrEqual(2);
  });
});
