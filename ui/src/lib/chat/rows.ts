// What the chat shows, top to bottom: the branch on screen, with the turn being generated on top of it
// (a question not saved yet, or the candidates streaming side by side instead of the saved answer).
import type { Message, Thread } from "../ipc/types";
import { activeMessages } from "./branches";

/** A question the backend has not confirmed yet, asked under `parentId`. */
export interface PendingQuestion {
  parentId: number | null;
  text: string;
}

/** The turn being generated: its question (once known) and the answers streaming for it. */
export interface RunInfo {
  questionId: number | null;
  answerIds: number[];
  /** Chains of a vote: only the first streams on screen, the others are counted (`vote` row). */
  vote?: number | null;
}

export interface AnswerSlot {
  /** The answer message id, or null before its first event. */
  id: number | null;
  message: Message | null;
}

export type Row =
  | { kind: "question"; key: string; message: Message | null; text: string }
  | { kind: "answers"; key: string; answers: AnswerSlot[] }
  | { kind: "voting"; key: string; chains: number; answerIds: number[] };

/** A single answer keeps the key it will have once saved, so its DOM survives the end of the stream. */
function answersKey(answers: AnswerSlot[], fallback: string): string {
  const only = answers.length === 1 ? answers[0] : undefined;
  return only && only.id !== null ? `a${only.id}` : fallback;
}

function runAnswers(thread: Thread | null, run: RunInfo): AnswerSlot[] {
  if (run.answerIds.length === 0) return [{ id: null, message: null }];
  // A vote's many chains are not shown side by side: the first streams, a progress row counts the rest.
  const ids = run.vote ? run.answerIds.slice(0, 1) : run.answerIds;
  return ids.map((id) => ({ id, message: thread?.messages.find((m) => m.id === id) ?? null }));
}

function votingRow(run: RunInfo, key: string): Row[] {
  return run.vote ? [{ kind: "voting", key: `voting-${key}`, chains: run.vote, answerIds: run.answerIds }] : [];
}

export function buildRows(thread: Thread | null, pending: PendingQuestion | null, run: RunInfo | null): Row[] {
  let path = thread ? activeMessages(thread) : [];
  if (pending) {
    const cut = pending.parentId === null ? 0 : path.findIndex((m) => m.id === pending.parentId) + 1;
    path = path.slice(0, cut);
  }
  const rows: Row[] = [];
  for (let i = 0; i < path.length; i++) {
    const m = path[i] as Message;
    if (m.role === "user") {
      rows.push({ kind: "question", key: `q${m.id}`, message: m, text: m.content });
      if (run && run.questionId === m.id) {
        const answers = runAnswers(thread, run);
        rows.push(...votingRow(run, `q${m.id}`));
        rows.push({ kind: "answers", key: answersKey(answers, `run${m.id}`), answers });
        // The saved answer under this question is replaced by the streaming ones.
        break;
      }
    } else if (m.role === "assistant") {
      rows.push({ kind: "answers", key: `a${m.id}`, answers: [{ id: m.id, message: m }] });
    }
  }
  if (pending) {
    rows.push({ kind: "question", key: "pending", message: null, text: pending.text });
    const answers = runAnswers(thread, run ?? { questionId: null, answerIds: [] });
    if (run) rows.push(...votingRow(run, "pending"));
    rows.push({ kind: "answers", key: answersKey(answers, "pending-answers"), answers });
  }
  return rows;
}

/** The last question on the branch on screen (for "regenerate the last answer"). */
export function lastQuestion(thread: Thread | null): Message | null {
  if (!thread) return null;
  const path = activeMessages(thread);
  for (let i = path.length - 1; i >= 0; i--) {
    const m = path[i];
    if (m?.role === "user") return m;
  }
  return null;
}

/** The message a new question follows: the last answer on the branch (or, after an unanswered question, that question's parent). */
export function parentForNext(thread: Thread | null): number | null {
  if (!thread) return null;
  const path = activeMessages(thread);
  const last = path[path.length - 1];
  if (!last) return null;
  return last.role === "assistant" ? last.id : last.parent_id;
}
