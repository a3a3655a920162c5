// The history as ponder-store serializes it (serde field names), so the window reads it unchanged.

export type Role = "system" | "user" | "assistant";
export type MessageStatus = "complete" | "generating" | "stopped" | "interrupted" | "failed";
export type Vote = "up" | "down";
export type RatingTag = "correct" | "wrong_answer" | "flawed_reasoning" | "too_long" | "unhelpful" | "unsafe";

export interface Rating {
  answer: Vote | null;
  reasoning: Vote | null;
  tags: RatingTag[];
  comment: string | null;
  corrected_answer: string | null;
  created_at: number;
  updated_at: number;
}

/** How a saved answer's generation went (the parts the window shows). */
export interface GenerationOutcome {
  prompt_tokens: number;
  thinking_tokens: number;
  answer_tokens: number;
  time_to_first_token_ms: number | null;
  thinking_ms: number | null;
  total_ms: number;
  finish_reason: "stop" | "length" | "cancelled" | "error" | "interrupted" | null;
  error: string | null;
}

export interface Message {
  id: number;
  conversation_id: number;
  parent_id: number | null;
  role: Role;
  content: string;
  thinking: string | null;
  status: MessageStatus;
  created_at: number;
  updated_at: number;
  rating: Rating | null;
  /** Present on answers: the model and settings that produced it, and how it went. */
  generation?: { outcome: GenerationOutcome | null } | null;
}

export interface Conversation {
  id: number;
  title: string;
  title_is_custom: boolean;
  created_at: number;
  updated_at: number;
}

export interface Thread {
  conversation: Conversation;
  messages: Message[];
  active_path: number[];
}

export interface RatingInput {
  answer: Vote | null;
  reasoning: Vote | null;
  tags: RatingTag[];
  comment: string | null;
  corrected_answer: string | null;
}

export interface PageCursor {
  updated_at: number;
  id: number;
}

export interface ConversationPage {
  items: Conversation[];
  next: PageCursor | null;
}

export interface SearchQuery {
  text: string;
  include_thinking: boolean;
  limit: number;
}

export type SearchField = "title" | "question" | "answer" | "thinking";

export interface SnippetPart {
  text: string;
  highlight: boolean;
}

export interface SearchHit {
  conversation_id: number;
  conversation_title: string;
  message_id: number | null;
  field: SearchField;
  snippet: SnippetPart[];
}
