// The person's settings, with Qwen's published sampling presets. Stored as JSON (by the shell, or
// localStorage in a plain browser); anything missing or invalid falls back to its default.
import type { Language } from "../i18n/messages";
import { type DeviceChoice, MAX_CANDIDATES, type ModelChoice, type SamplingRequest } from "../ipc/types";
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

/** Guards against repetition, passed only when set (`null`: the model's default, off). */
export interface Guards {
  repetition_penalty: number | null;
  presence_penalty: number | null;
  frequency_penalty: number | null;
  dry_multiplier: number | null;
  no_repeat_ngram_size: number | null;
}

/** Each guard's range, as Rust and mistral.rs accept it. */
export const GUARD_RANGES: Record<keyof Guards, { min: number; max: number; step: number }> = {
  repetition_penalty: { min: 0.5, max: 2, step: 0.05 },
  presence_penalty: { min: -2, max: 2, step: 0.1 },
  frequency_penalty: { min: -2, max: 2, step: 0.1 },
  dry_multiplier: { min: 0, max: 5, step: 0.1 },
  no_repeat_ngram_size: { min: 1, max: 64, step: 1 },
};

export const NO_GUARDS: Guards = {
  repetition_penalty: null,
  presence_penalty: null,
  frequency_penalty: null,
  dry_multiplier: null,
  no_repeat_ngram_size: null,
};

export type ModelSource = "bundled" | "folder" | "gguf" | "hub" | "server";
export type QuantChoice = "auto" | "none" | "q4k" | "q8_0";

/** The model to load at start and from the settings view (all sources' fields kept while switching). */
export interface ModelSetting {
  source: ModelSource;
  folder: string;
  gguf: string;
  hubId: string;
  /** For a GGUF repository on the hub: the quantization whose file to fetch (`Q4_K_M`); empty for a
   * safetensors repository. */
  hubQuant: string;
  /** An OpenAI-compatible server's address (vLLM, SGLang, llama.cpp's server, Ollama, LM Studio). */
  serverUrl: string;
  /** Which of the server's models; empty for the first it lists. */
  serverModel: string;
  /** The longest silence to wait for in a server's reply, in seconds (null: DEFAULT_REPLY_TIMEOUT_S). */
  serverTimeout: number | null;
  device: DeviceChoice;
  quantization: QuantChoice;
}

export interface Settings {
  thinking: boolean;
  thinkingBudget: number | null;
  sampling: "preset" | Sampling;
  paneMode: PaneMode;
  theme: "system" | "light" | "dark";
  language: Language;
  /** Answers written side by side for each question (1–4). */
  candidates: number;
  model: ModelSetting;
  /** The first-run screen was dismissed. */
  seenWelcome: boolean;
  guards: Guards;
  /** Stop a chain of thought that repeats itself word for word. */
  stopLoops: boolean;
  /** What thinking longer writes where the model would stop (empty: "Wait"). */
  nudge: string;
}

export const DEFAULT_MODEL: ModelSetting = {
  source: "bundled",
  folder: "",
  gguf: "",
  hubId: "Qwen/Qwen3-0.6B",
  hubQuant: "",
  serverUrl: "http://127.0.0.1:8080",
  serverModel: "",
  serverTimeout: null,
  device: "cpu",
  quantization: "auto",
};

export const DEFAULTS: Settings = {
  thinking: true,
  thinkingBudget: null,
  sampling: "preset",
  paneMode: "auto",
  theme: "system",
  language: "en",
  candidates: 1,
  model: DEFAULT_MODEL,
  seenWelcome: false,
  guards: NO_GUARDS,
  stopLoops: true,
  nudge: "",
};

/** What `loadModel` takes for the model setting; null when a path or id is still missing. */
export function choiceFor(m: ModelSetting): ModelChoice | null {
  const quantization = m.quantization === "none" ? null : m.quantization;
  switch (m.source) {
    case "bundled":
      return { source: "bundled", device: m.device, quantization };
    case "folder":
      return m.folder ? { source: "folder", path: m.folder, device: m.device, quantization } : null;
    case "gguf":
      return m.gguf ? { source: "gguf", path: m.gguf, device: m.device } : null;
    case "hub": {
      const id = m.hubId.trim();
      if (!id) return null;
      const quant = m.hubQuant.trim();
      return quant
        ? { source: "hub_gguf", id, quant, device: m.device }
        : { source: "hub", id, device: m.device, quantization };
    }
    case "server": {
      const url = m.serverUrl.trim();
      if (!url) return null;
      const model = m.serverModel.trim() || null;
      return m.serverTimeout === null
        ? { source: "server", url, model }
        : { source: "server", url, model, reply_timeout_s: m.serverTimeout };
    }
  }
}

/** The sampling values sent with a request. */
export function samplingRequest(settings: Settings): SamplingRequest {
  const s = samplingFor(settings);
  const request: SamplingRequest = { temperature: s.temperature, top_p: s.top_p, top_k: s.top_k, min_p: s.min_p };
  for (const [key, value] of Object.entries(settings.guards) as [keyof Guards, number | null][]) {
    if (value !== null) request[key] = value;
  }
  return request;
}

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

function wholeOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

/** Settings read back from storage (JSON text, or the value the shell already parsed), repaired field by field. */
export function parseSettings(json: unknown): Settings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = typeof json === "string" ? JSON.parse(json) : json;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) raw = parsed as Record<string, unknown>;
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
  const sampling = custom && Object.values(custom).every((v) => v !== null) ? (custom as Sampling) : DEFAULTS.sampling;
  const m = raw.model && typeof raw.model === "object" ? (raw.model as Record<string, unknown>) : {};
  const text = (v: unknown, fallback: string) => (typeof v === "string" ? v : fallback);
  const model: ModelSetting = {
    source: oneOf(m.source, ["bundled", "folder", "gguf", "hub", "server"] as const, DEFAULT_MODEL.source),
    folder: text(m.folder, DEFAULT_MODEL.folder),
    gguf: text(m.gguf, DEFAULT_MODEL.gguf),
    hubId: text(m.hubId, DEFAULT_MODEL.hubId),
    hubQuant: text(m.hubQuant, DEFAULT_MODEL.hubQuant),
    serverUrl: text(m.serverUrl, DEFAULT_MODEL.serverUrl),
    serverModel: text(m.serverModel, DEFAULT_MODEL.serverModel),
    serverTimeout: wholeOrNull(finite(m.serverTimeout, 1, 86_400)),
    device: oneOf(m.device, ["cpu", "gpu"] as const, DEFAULT_MODEL.device),
    quantization: oneOf(m.quantization, ["auto", "none", "q4k", "q8_0"] as const, DEFAULT_MODEL.quantization),
  };
  const candidates = finite(raw.candidates, 1, MAX_CANDIDATES);
  const g = raw.guards && typeof raw.guards === "object" ? (raw.guards as Record<string, unknown>) : {};
  const guards = { ...NO_GUARDS };
  for (const key of Object.keys(NO_GUARDS) as (keyof Guards)[]) {
    const r = GUARD_RANGES[key];
    const v = finite(g[key], r.min, r.max);
    guards[key] = v === null ? null : key === "no_repeat_ngram_size" ? Math.round(v) : v;
  }
  return {
    thinking: typeof raw.thinking === "boolean" ? raw.thinking : DEFAULTS.thinking,
    thinkingBudget: finite(raw.thinkingBudget, 1, 1_000_000),
    sampling,
    paneMode: oneOf(raw.paneMode, ["auto", "open", "closed"] as const, DEFAULTS.paneMode),
    theme: oneOf(raw.theme, ["system", "light", "dark"] as const, DEFAULTS.theme),
    language: oneOf(raw.language, ["en", "zh"] as const, DEFAULTS.language),
    candidates: candidates === null ? DEFAULTS.candidates : Math.round(candidates),
    model,
    seenWelcome: raw.seenWelcome === true,
    guards,
    stopLoops: raw.stopLoops !== false,
    nudge: typeof raw.nudge === "string" ? raw.nudge.slice(0, 200) : "",
  };
}
