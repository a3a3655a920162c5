// The person's settings, with Qwen's published sampling presets. Stored as JSON (by the shell, or
// localStorage in a plain browser); anything missing or invalid falls back to its default.
import type { Language } from "../i18n/messages";
import type { PaneMode } from "../thinking/pane.svelte";

export interface Sampling {
  temperature: number;
  top_p: number;
  top_k: number;
  min_p: number;
}

/** Qwen3's recommendations: thinking and non-thinking modes. */
export const PRESETS: Record<"thinking" | "direct", Sampling> = {
  thinking: { temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0 },
  direct: { temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0 },
};

export interface Settings {
  thinking: boolean;
  thinkingBudget: number | null;
  sampling: "preset" | Sampling;
  paneMode: PaneMode;
  theme: "system" | "light" | "dark";
  language: Language;
}

export const DEFAULTS: Settings = {
  thinking: true,
  thinkingBudget: null,
  sampling: "preset",
  paneMode: "auto",
  theme: "system",
  language: "en",
};

/** The sampling a request uses: the preset for its mode, or the person's own values. */
export function samplingFor(settings: Settings): Sampling {
  return settings.sampling === "preset" ? PRESETS[settings.thinking ? "thinking" : "direct"] : settings.sampling;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function finite(value: unknown, min: number, max: number): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max ? value : null;
}

/** Settings read back from storage, repaired field by field. */
export function parseSettings(json: string | null): Settings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = json ? JSON.parse(json) : {};
    if (parsed && typeof parsed === "object") raw = parsed as Record<string, unknown>;
  } catch {
    // A damaged settings file is not worth an error: start from the defaults.
  }
  const s = raw.sampling as Record<string, unknown> | undefined;
  const custom =
    s && typeof s === "object"
      ? {
          temperature: finite(s.temperature, 0, 2),
          top_p: finite(s.top_p, 0, 1),
          top_k: finite(s.top_k, 0, 1000),
          min_p: finite(s.min_p, 0, 1),
        }
      : null;
  const sampling =
    custom && Object.values(custom).every((v) => v !== null) ? (custom as Sampling) : DEFAULTS.sampling;
  return {
    thinking: typeof raw.thinking === "boolean" ? raw.thinking : DEFAULTS.thinking,
    thinkingBudget: finite(raw.thinkingBudget, 1, 1_000_000),
    sampling,
    paneMode: oneOf(raw.paneMode, ["auto", "open", "closed"] as const, DEFAULTS.paneMode),
    theme: oneOf(raw.theme, ["system", "light", "dark"] as const, DEFAULTS.theme),
    language: oneOf(raw.language, ["en", "zh"] as const, DEFAULTS.language),
  };
}
