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
    const s = parseSettings(JSON.stringify({ theme: "neon", language: "fr", thinkingBudget: -5, sampling: { temperature: 9 }, thinking: "yes" }));
    expect(s).toEqual(DEFAULTS);
    const custom = { temperature: 1, top_p: 0.9, top_k: 40, min_p: 0.05 };
    expect(samplingFor(parseSettings(JSON.stringify({ sampling: custom })))).toEqual(custom);
  });
});
