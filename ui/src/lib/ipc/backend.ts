// The window's only way to Rust. Components depend on this interface; `tauri.ts` implements it over
// IPC and `fake.ts` in memory, so the UI runs and is tested without Rust.
import type { AnswerEvent, AskRequest } from "./types";

/** A running answer. */
export interface RunningAnswer {
  /** The conversation it belongs to (new if the request had none). */
  conversationId: number;
  /** Stops generating; what was written is kept. */
  stop(): Promise<void>;
  /** Resolves when every candidate has finished. */
  done: Promise<void>;
}

export interface Backend {
  /** Saves the question and streams the answer; `onEvents` gets batches of events (about one per frame). */
  ask(request: AskRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer>;
}
