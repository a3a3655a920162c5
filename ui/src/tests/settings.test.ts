// The settings view: persistence across restarts, what questions are sent with, Chinese, model loading
// with progress, cancel and failure.
import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { parseSettings } from "../lib/settings/settings";
import { Gate, ask, settled, setup } from "./helpers";

async function openSettings(): Promise<void> {
  await fireEvent.click(await screen.findByRole("button", { name: "Settings" }));
  await screen.findByRole("heading", { name: "Settings", level: 1 });
}

function select(label: string): HTMLSelectElement {
  return screen.getByLabelText(label) as HTMLSelectElement;
}

describe("settings", () => {
  it("persist: saved on change and the same after a restart", async () => {
    const { backend, unmount } = setup();
    await openSettings();
    await fireEvent.change(select("Candidates per question"), { target: { value: "3" } });
    await fireEvent.change(select("Sampling"), { target: { value: "direct" } });
    await fireEvent.click(screen.getByLabelText("Always closed"));
    await fireEvent.change(select("Theme"), { target: { value: "dark" } });
    await fireEvent.click(screen.getByLabelText("Hugging Face"));
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
    const saved = parseSettings(backend.settingsBlob);
    expect(saved).toMatchObject({
      candidates: 3,
      paneMode: "closed",
      theme: "dark",
      sampling: { temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0 },
    });
    expect(saved.model.source).toBe("hub");

    unmount();
    setup({ backend });
    await openSettings();
    await waitFor(() => expect(select("Candidates per question").value).toBe("3"));
    expect(select("Sampling").value).toBe("direct");
    expect(select("Theme").value).toBe("dark");
    expect((screen.getByLabelText("Always closed") as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText("Hugging Face") as HTMLInputElement).checked).toBe(true);
    await fireEvent.change(select("Theme"), { target: { value: "light" } });
    await waitFor(() => expect(document.documentElement.dataset.theme).toBe("light"));
  });

  it("keeps a server's API key in the keychain, never in the settings, and forgets it", async () => {
    const { backend } = setup();
    await openSettings();
    await fireEvent.click(screen.getByLabelText("Server (OpenAI-compatible)"));
    await fireEvent.change(screen.getByLabelText("Address"), { target: { value: "http://gpu-box:8000/" } });
    await screen.findByText("No key kept for this server.");
    const key = screen.getByLabelText("API key") as HTMLInputElement;
    expect(key.type).toBe("password");
    await fireEvent.input(key, { target: { value: "sk-secret-123" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save key" }));
    await screen.findByText("A key for this server is kept in the system keychain.");
    expect(key.value).toBe("");
    expect(backend.serverKeys.get("http://gpu-box:8000/v1")).toBe("sk-secret-123");
    expect(JSON.stringify(backend.settingsBlob)).not.toContain("sk-secret-123");
    expect(parseSettings(backend.settingsBlob).model.serverUrl).toBe("http://gpu-box:8000/");

    await fireEvent.click(screen.getByRole("button", { name: "Forget key" }));
    await screen.findByText("No key kept for this server.");
    expect(backend.serverKeys.size).toBe(0);
  });

  it("offers the models the server lists, and says why when it cannot list them", async () => {
    const { backend } = setup();
    backend.servedModels.set("http://gpu-box:8000/v1", [
      { id: "Qwen/Qwen3-32B", context: 40960 },
      { id: "Qwen/QwQ-32B", context: null },
    ]);
    await openSettings();
    await fireEvent.click(screen.getByLabelText("Server (OpenAI-compatible)"));
    // An address nothing answers at: the model is typed, and the reason is said beside it.
    await fireEvent.change(screen.getByLabelText("Address"), { target: { value: "http://nowhere:1" } });
    expect((await screen.findByText(/Could not list its models/)).textContent).toContain("could not connect");
    expect((screen.getByLabelText("Served model") as HTMLElement).tagName).toBe("INPUT");

    await fireEvent.change(screen.getByLabelText("Address"), { target: { value: "http://gpu-box:8000" } });
    await waitFor(() => expect(screen.getByLabelText("Served model").tagName).toBe("SELECT"));
    const list = select("Served model");
    expect([...list.options].map((o) => o.textContent)).toEqual([
      "The first it lists (Qwen/Qwen3-32B)",
      "Qwen/Qwen3-32B · 40,960 tokens of context",
      "Qwen/QwQ-32B",
    ]);
    expect(screen.queryByText(/Could not list its models/)).toBeNull();
    await fireEvent.change(list, { target: { value: "Qwen/QwQ-32B" } });
    await waitFor(() => expect(parseSettings(backend.settingsBlob).model.serverModel).toBe("Qwen/QwQ-32B"));

    // The server stops listing it: the choice stays, marked, until another is made.
    backend.servedModels.set("http://gpu-box:8000/v1", [{ id: "Qwen/Qwen3-32B", context: 40960 }]);
    await fireEvent.click(screen.getByRole("button", { name: "List models" }));
    await waitFor(() => expect(select("Served model").options.length).toBe(3));
    expect(select("Served model").value).toBe("Qwen/QwQ-32B");
    expect(select("Served model").options[2]?.textContent).toBe("Qwen/QwQ-32B (not listed now)");

    // A slow server can be given longer to start its reply; the load sends it.
    await fireEvent.change(screen.getByLabelText("Wait for a reply (seconds)"), { target: { value: "900" } });
    await waitFor(() => expect(parseSettings(backend.settingsBlob).model.serverTimeout).toBe(900));
    await fireEvent.click(screen.getByRole("button", { name: "Load" }));
    await waitFor(() =>
      expect(backend.calls.filter((c) => c.method === "loadModel").at(-1)?.args[0]).toMatchObject({
        source: "server",
        reply_timeout_s: 900,
      }),
    );
  });

  it("a load that works takes away the alert of the one that failed", async () => {
    const { backend } = setup({ settings: { model: { source: "server", serverUrl: "http://gpu-box:8000" } } });
    await openSettings();
    backend.failNext("loadModel", { kind: "server_auth", message: "the model server refused the API key" });
    await fireEvent.click(screen.getByRole("button", { name: "Load" }));
    expect((await screen.findByRole("alert")).textContent).toContain("refused the API key");
    await fireEvent.click(screen.getByRole("button", { name: "Load" }));
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
  });

  it("says when the keychain cannot keep the key, and the window goes on", async () => {
    const { backend } = setup({ settings: { model: { source: "server", serverUrl: "http://gpu-box:8000" } } });
    await openSettings();
    await screen.findByText("No key kept for this server.");
    backend.failNext("saveServerKey", { kind: "keychain", message: "the keychain: no keychain is available" });
    await fireEvent.input(screen.getByLabelText("API key"), { target: { value: "sk-1" } });
    await fireEvent.click(screen.getByRole("button", { name: "Save key" }));
    expect(await screen.findByRole("alert")).toHaveProperty(
      "textContent",
      expect.stringContaining("no keychain is available"),
    );
    expect(screen.getByText("No key kept for this server.")).toBeTruthy();
  });

  it("sends the chosen sampling, candidates and thinking budget with questions", async () => {
    const { backend } = setup({
      settings: {
        candidates: 2,
        sampling: { temperature: 1, top_p: 0.9, top_k: 40, min_p: 0.05 },
        thinkingBudget: 256,
      },
    });
    await ask("Q");
    await settled();
    expect(backend.asked[0]).toMatchObject({
      candidates: 2,
      thinking: true,
      thinking_budget: 256,
      sampling: { temperature: 1, top_p: 0.9, top_k: 40, min_p: 0.05 },
    });
    await fireEvent.click(screen.getByLabelText("Think first"));
    await ask("Q2");
    await settled();
    expect(backend.asked[1]).toMatchObject({ thinking: false, thinking_budget: null });
  });

  it("switches the whole window to Chinese", async () => {
    const { backend } = setup();
    await openSettings();
    await fireEvent.change(select("Language"), { target: { value: "zh" } });
    await screen.findByRole("heading", { name: "设置", level: 1 });
    expect(screen.getByRole("button", { name: "新对话" })).toBeTruthy();
    expect(screen.getByText("外观")).toBeTruthy();
    expect(document.documentElement.lang).toBe("zh-CN");
    expect(parseSettings(backend.settingsBlob).language).toBe("zh");
    await fireEvent.click(screen.getByRole("button", { name: "返回对话" }));
    expect(await screen.findByLabelText("提出问题")).toBeTruthy();
  });

  it("loads a Hugging Face model with download progress and can cancel it", async () => {
    const gate = new Gate();
    const { backend } = setup({ tick: gate.tick });
    await openSettings();
    await fireEvent.click(screen.getByLabelText("Hugging Face"));
    await fireEvent.change(screen.getByLabelText("Model id"), { target: { value: "Qwen/Qwen3-1.7B" } });
    await fireEvent.change(select("Device"), { target: { value: "gpu" } });
    await fireEvent.change(select("Quantization"), { target: { value: "q4k" } });
    await fireEvent.click(screen.getByRole("button", { name: "Load" }));
    await gate.step(2);
    const bar = await screen.findByRole("progressbar");
    expect(bar.getAttribute("value")).toBe("1000000");
    expect(bar.getAttribute("max")).toBe("4000000");
    expect(backend.calls.find((c) => c.method === "loadModel")?.args[0]).toEqual({
      source: "hub",
      id: "Qwen/Qwen3-1.7B",
      device: "gpu",
      quantization: "q4k",
    });
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(backend.calls.map((c) => c.method)).toContain("cancelDownload");
    gate.release();
    await waitFor(() => expect(screen.getByText(/Failed to load: The download was cancelled/)).toBeTruthy());
    expect(screen.queryByRole("alert")).toBeNull();

    await fireEvent.click(screen.getByLabelText("Bundled (ponder-tiny)"));
    await fireEvent.click(screen.getByRole("button", { name: "Load" }));
    await waitFor(() => expect(screen.getByText(/Ready: ponder-tiny on gpu/)).toBeTruthy());
  });

  it("shows a model that failed to load, and the composer says why it is disabled", async () => {
    const { backend } = setup();
    backend.picks.folder = "/models/broken-model";
    await openSettings();
    await fireEvent.click(screen.getByLabelText("Local folder"));
    await fireEvent.click(screen.getByRole("button", { name: "Choose…" }));
    await waitFor(() => expect(screen.getByText("/models/broken-model")).toBeTruthy());
    await fireEvent.click(screen.getByRole("button", { name: "Load" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("config.json is missing");
    expect(screen.getByText(/Failed to load: Cannot load \/models\/broken-model/)).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Back to chat" }));
    const box = (await screen.findByLabelText("Ask a question")) as HTMLTextAreaElement;
    expect(box.disabled).toBe(true);
    expect(screen.getByText(/The model failed to load: Cannot load/)).toBeTruthy();
  });

  it("lists the models on disk and uses one", async () => {
    const { backend } = setup();
    await openSettings();
    const item = (await screen.findByText("Qwen/Qwen3-0.6B")).closest("li") as HTMLElement;
    await fireEvent.click(within(item).getByRole("button", { name: "Use" }));
    await waitFor(() =>
      expect(parseSettings(backend.settingsBlob).model).toMatchObject({ source: "hub", hubId: "Qwen/Qwen3-0.6B" }),
    );
    expect((screen.getByLabelText("Hugging Face") as HTMLInputElement).checked).toBe(true);
  });
});
