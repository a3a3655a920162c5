// The empty chat's suggestions come from the backend for the model in use and the window's language,
// and a click asks one.
import { fireEvent, screen, waitFor } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { setup } from "./helpers";

describe("suggestions", () => {
  it("offers the bundled model its own problems and asks the one clicked", async () => {
    const { backend } = setup();
    const chip = await screen.findByRole("button", { name: "What is 347 + 589?" });
    await waitFor(() => expect((chip as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(chip);
    await waitFor(() => expect(backend.asked.map((a) => a.text)).toEqual(["What is 347 + 589?"]));
  });

  it("offers another model general prompts, in Chinese when the window is", async () => {
    setup({
      settings: { language: "zh" },
      options: {
        status: {
          state: "ready",
          info: {
            id: "/m/Qwen3-8B",
            name: "Qwen/Qwen3-8B",
            architecture: "qwen3",
            device: "cpu",
            quantization: "Q8_0",
            quantization_automatic: true,
            threads: 2,
            context_tokens: 40960,
          },
          bundled: false,
        },
      },
    });
    expect(await screen.findByRole("button", { name: "“strawberry” 这个单词里有几个字母 r？" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: /347/ })).toBeNull();
  });
});
