// The data that crosses between the window and Rust. Field names match the Rust DTOs' serde names.

/** One event of a streaming answer (ponder-engine's `Event`, tagged). */
export type GenerationEvent =
  | { type: "thinking"; data: string }
  | { type: "answer"; data: string }
  | { type: "usage"; data: Usage }
  | { type: "finished"; data: FinishReason };

export interface Usage {
  prompt_tokens: number;
  thinking_tokens: number;
  answer_tokens: number;
  time_to_first_token_ms: number;
  tokens_per_second: number;
}

export type FinishReason = "stop" | "length" | "cancelled" | { error: string };

/** What a repair of the history database kept (ponder-app's `RepairSummary`). */
export interface RepairSummary {
  /** Where the damaged file was copied, byte for byte. */
  backup: string;
  conversations: number;
  messages: number;
  /** Rows on unreadable pages that could not be brought back. */
  unreadable_rows: number;
}

/** An event for one candidate answer, saved as message `answer_id`. */
export interface AnswerEvent {
  candidate: number;
  answer_id: number;
  event: GenerationEvent;
}

/** Sampling values sent with a request; null fields use the model's own defaults. */
export interface SamplingRequest {
  temperature: number | null;
  top_p: number | null;
  top_k: number | null;
  min_p: number | null;
}

/** How to answer (shared by asking and regenerating). */
export interface AnswerOptions {
  thinking: boolean;
  thinking_budget: number | null;
  candidates: number;
  sampling: SamplingRequest | null;
}

/** What the composer sends. An edited question is a new question under the edited one's parent. */
export interface AskRequest extends AnswerOptions {
  conversation_id: number | null;
  /** The answer this question follows; null for the first question (or an edit of it). */
  parent_id: number | null;
  text: string;
}

/** New answers to an existing question. */
export interface RegenerateRequest extends AnswerOptions {
  question_id: number;
}

/** Errors cross IPC as a machine-readable kind and a message for people. */
export interface IpcError {
  kind: string;
  message: string;
}

// ---- Model ----

export type DeviceChoice = "cpu" | "gpu";
export type Quantization = "q4k" | "q8_0";

/** Which model to load. */
export type ModelChoice =
  | { source: "bundled"; device: DeviceChoice; quantization: Quantization | null }
  | { source: "folder"; path: string; device: DeviceChoice; quantization: Quantization | null }
  | { source: "gguf"; path: string; device: DeviceChoice; quantization: null }
  | { source: "hub"; id: string; device: DeviceChoice; quantization: Quantization | null };

export interface ModelInfo {
  id: string;
  architecture: string;
  device: string;
  quantization: string | null;
}

export type ModelStatus =
  | { state: "empty" }
  | { state: "loading"; choice: ModelChoice }
  | { state: "ready"; info: ModelInfo; bundled: boolean }
  | { state: "failed"; kind: string; message: string };

export type LoadProgress =
  | { stage: "downloading"; file: string; bytes_done: number; bytes_total: number }
  | { stage: "checking" }
  | { stage: "loading" }
  | { stage: "ready" };

export interface ModelEntry {
  id: string;
  path: string;
  origin: "bundled" | "hub_cache" | "folder" | "gguf";
  /** Architecture when loadable. */
  architecture: string | null;
  /** Why it cannot be loaded. */
  problem: string | null;
  bytes: number;
}

// ---- Ratings and export ----

export interface RatingDay {
  /** Day (UTC) as YYYY-MM-DD. */
  day: string;
  model: string;
  up: number;
  down: number;
}

export interface RatingStats {
  days: RatingDay[];
  up: number;
  down: number;
  models: string[];
}

export type ExportFormat = "kto" | "dpo" | "sft" | "archive" | "llama_factory" | "open_ai";
export type ReasoningStyle = "inline" | "separate" | "stripped";

export interface ExportRequest {
  /** A new (or empty) folder. */
  folder: string;
  formats: ExportFormat[];
  reasoning: ReasoningStyle;
  models: string[];
  since_ms: number | null;
  until_ms: number | null;
  vote: "up" | "down" | null;
  tags: string[];
  test_fraction: number;
}

export interface ExportReport {
  /** Rows written per file name. */
  rows: Record<string, number>;
  rated: number;
  up: number;
  down: number;
  pairs: number;
  cross_model_pairs: number;
  /** Answers left out because their text contains `</think>`. */
  skipped_inline: number;
  /** Pairs left out because both sides were the same text. */
  identical_pairs: number;
  /** KTO rows left out because the same answer was rated both up and down. */
  contradictory_kto: number;
  kto_desirable: number;
  kto_undesirable: number;
  system_prompts: boolean;
  folder: string;
}
