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

/** An event for one candidate answer, saved as message `answer_id`. */
export interface AnswerEvent {
  candidate: number;
  answer_id: number;
  event: GenerationEvent;
}

/** What the composer sends. */
export interface AskRequest {
  conversation_id: number | null;
  parent_id: number | null;
  text: string;
  thinking: boolean;
  thinking_budget: number | null;
  candidates: number;
}

/** Errors cross IPC as a machine-readable kind and a message for people. */
export interface IpcError {
  kind: string;
  message: string;
}
