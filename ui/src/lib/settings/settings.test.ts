// Settings parsing, presets and the model choice.
import { describe, expect, it } from "vitest";
import { DEFAULTS, PRESETS, parseSettings, samplingFor } from "./settings";

describe("settings", () => {
  it("round-trips and picks Qwen's preset for the mode", () => {
    const s = { ...DEFAULTS, thinking: false, language: "zh" as const, paneMode: "closed" as const };
    expect(parseSettings(JSON.stringify(s))).toEqual(s);
    expect(samplingFor(s)).toEqual(PRESETS.direct);
    expect(samplingFor(DEFAULTS)).toEqual(PRESETS.thinking);
  });

  it("repairs damaged or hostile values field by field", () => {
    expect(parseSettings("{not json")).toEqual(DEFAULTS);
    expect(parseSettings(null)).toEqual(DEFAULTS);
    const s = parseSettings(
      JSON.stringify({
        theme: "neon",
        language: "fr",
        thinkingBudget: -5,
        sampling: { temperature: 9 },
        thinking: "yes",
      }),
    );
    expect(s).toEqual(DEFAULTS);
    const custom = { temperature: 1, top_p: 0.9, top_k: 40, min_p: 0.05 };
    expect(samplingFor(parseSettings(JSON.stringify({ sampling: custom })))).toEqual(custom);
  });
});

describe("model settings", () => {
  it("round-trips the model, candidates and the first-run flag, repairing bad values", async () => {
    const { DEFAULT_MODEL, choiceFor } = await import("./settings");
    const s = {
      ...DEFAULTS,
      candidates: 3,
      seenWelcome: true,
      model: { ...DEFAULT_MODEL, source: "gguf" as const, gguf: "/m.gguf", device: "gpu" as const },
    };
    expect(parseSettings(JSON.stringify(s))).toEqual(s);
    expect(parseSettings(s)).toEqual(s);
    const bad = parseSettings({
      candidates: 9,
      model: { source: "ftp", device: "tpu", quantization: "q2" },
      seenWelcome: "yes",
    });
    expect(bad).toMatchObject({ candidates: 1, seenWelcome: false, model: DEFAULT_MODEL });
    // A GGUF file is quantized already: Rust's `ModelChoice::Gguf` has no quantization field.
    expect(choiceFor(s.model)).toEqual({ source: "gguf", path: "/m.gguf", device: "gpu" });
    expect(choiceFor({ ...DEFAULT_MODEL, quantization: "q4k" })).toEqual({
      source: "bundled",
      device: "cpu",
      quantization: "q4k",
    });
    expect(choiceFor({ ...DEFAULT_MODEL, source: "folder" })).toBeNull();
    expect(choiceFor({ ...DEFAULT_MODEL, source: "hub", hubId: " Qwen/Qwen3-4B " })).toMatchObject({
      source: "hub",
      id: "Qwen/Qwen3-4B",
    });
  });

  it("keeps a server's address and model, and sends the first listed model when none is named", async () => {
    const { DEFAULT_MODEL, choiceFor } = await import("./settings");
    const model = { ...DEFAULT_MODEL, source: "server" as const, serverUrl: " http://gpu-box:8000 ", serverModel: "" };
    expect(parseSettings({ model }).model).toEqual(model);
    expect(choiceFor(model)).toEqual({ source: "server", url: "http://gpu-box:8000", model: null });
    expect(choiceFor({ ...model, serverModel: "Qwen/Qwen3-32B" })).toMatchObject({ model: "Qwen/Qwen3-32B" });
    expect(choiceFor({ ...model, serverUrl: "  " })).toBeNull();
    // A reply timeout is sent only when set, as whole seconds; nonsense is dropped when read back.
    expect(choiceFor({ ...model, serverTimeout: 900 })).toMatchObject({ reply_timeout_s: 900 });
    expect(parseSettings({ model: { ...model, serverTimeout: 90.4 } }).model.serverTimeout).toBe(90);
    expect(parseSettings({ model: { ...model, serverTimeout: -5 } }).model.serverTimeout).toBeNull();
  });
});
