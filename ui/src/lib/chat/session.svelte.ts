// The conversation on screen and the turn being generated: asking, editing a question (a new branch),
// regenerating (a new sibling answer), continuing from a fixed step (a new branch), stopping, moving
// between branches and keeping ratings in step.
// Streamed events are handed over once per frame (FrameBatcher) and applied to LiveAnswers.
import { SvelteMap } from "svelte/reactivity";
import type { Backend, RunningAnswer } from "../ipc/backend";
import type { Rating, Thread } from "../ipc/types";
import type { AnswerEvent, AnswerMode, AnswerOptions } from "../ipc/types";
import { optionsFor } from "./mode";
import type { PaneMode } from "../thinking/pane.svelte";
import { FrameBatcher, type Schedule, perFrame } from "./batcher";
import { LiveAnswer } from "./live.svelte";
import { type PendingQuestion, type Row, type RunInfo, buildRows, lastQuestion, parentForNext } from "./rows";

export interface SessionHooks {
  /** How to answer now (from the settings and the composer). */
  options(): AnswerOptions;
  paneMode(): PaneMode;
  /** A call failed: show it. */
  fail(error: unknown): void;
  /** A conversation was created or changed (the sidebar reloads). */
  changed(): void;
}

export class ChatSession {
  conversationId: number | null = $state(null);
  thread: Thread | null = $state(null);
  pending: PendingQuestion | null = $state(null);
  run: RunInfo | null = $state(null);
  /** How the composer answers here (remembered per conversation; a new chat keeps the last one). */
  mode: AnswerMode = $state({ kind: "answer" });
  /** Bumped once per delivered frame of events (the chat follows the stream). */
  frames = $state(0);
  readonly live = new SvelteMap<number, LiveAnswer>();
  readonly rows: Row[] = $derived(buildRows(this.thread, this.pending, this.run));
  private handle: RunningAnswer | null = null;
  /** A fix's words: the new answer's thinking starts with them (the engine streams only the model's). */
  private seed: string | null = null;
  private batcher: FrameBatcher<AnswerEvent>;

  constructor(
    private backend: Backend,
    private hooks: SessionHooks,
    schedule: Schedule = perFrame,
  ) {
    this.batcher = new FrameBatcher((batch) => this.deliver(batch), schedule);
  }

  get running(): boolean {
    return this.run !== null;
  }

  private deliver(batch: AnswerEvent[]): void {
    const now = Date.now();
    const byAnswer = new Map<number, AnswerEvent[]>();
    for (const e of batch) {
      const list = byAnswer.get(e.answer_id) ?? [];
      list.push(e);
      byAnswer.set(e.answer_id, list);
    }
    for (const [id, events] of byAnswer) {
      let live = this.live.get(id);
      if (!live) {
        live = new LiveAnswer(id, events[0]?.candidate ?? 0, this.hooks.paneMode());
        this.live.set(id, live);
        if (this.seed) live.apply([{ type: "thinking", data: this.seed }], now);
        if (this.run && !this.run.answerIds.includes(id)) {
          this.run.answerIds = [...this.run.answerIds, id].sort(
            (a, b) => (this.live.get(a)?.candidate ?? 0) - (this.live.get(b)?.candidate ?? 0),
          );
        }
      }
      live.apply(
        events.map((e) => e.event),
        now,
      );
    }
    this.frames += 1;
  }

  /** Opens a saved conversation (after optionally showing the branch holding `messageId`). */
  async open(conversationId: number, messageId: number | null = null): Promise<void> {
    try {
      if (messageId !== null) await this.backend.setActive(messageId);
      const thread = await this.backend.thread(conversationId);
      const mode = conversationId === this.conversationId ? this.mode : await this.backend.answerMode(conversationId);
      if (conversationId !== this.conversationId) this.pruneLive();
      this.conversationId = conversationId;
      this.thread = thread;
      this.mode = mode;
      this.pending = null;
    } catch (e) {
      this.hooks.fail(e);
    }
  }

  /** An empty chat (the next question starts a conversation). */
  newChat(): void {
    if (this.running) return;
    this.pruneLive();
    this.conversationId = null;
    this.thread = null;
    this.pending = null;
  }

  /** Forgets streamed answers of conversations no longer on screen (each holds its text and rendered
   * blocks); a saved answer is shown from the store. The running answers stay. */
  private pruneLive(): void {
    const keep = new Set(this.run?.answerIds ?? []);
    for (const id of [...this.live.keys()]) if (!keep.has(id)) this.live.delete(id);
  }

  async reload(): Promise<void> {
    if (this.conversationId === null) return;
    try {
      this.thread = await this.backend.thread(this.conversationId);
    } catch (e) {
      this.hooks.fail(e);
    }
  }

  /** Changes how the composer answers; saved with the conversation once there is one. */
  async setMode(mode: AnswerMode): Promise<void> {
    this.mode = mode;
    if (this.conversationId === null) return;
    try {
      await this.backend.setAnswerMode(this.conversationId, mode);
    } catch (e) {
      this.hooks.fail(e);
    }
  }

  /** The options of a turn: the settings', then the mode's. */
  private turnOptions(): AnswerOptions {
    return optionsFor(this.mode, this.hooks.options());
  }

  /** Asks a question at the end of the branch on screen; false when it could not be asked. */
  ask(text: string): Promise<boolean> {
    return this.askUnder(parentForNext(this.thread), text);
  }

  /** Sends an edited question: a new question under the edited one's parent, i.e. a new branch. */
  edit(questionId: number, text: string): Promise<boolean> {
    const q = this.thread?.messages.find((m) => m.id === questionId);
    return this.askUnder(q ? q.parent_id : null, text);
  }

  private async askUnder(parentId: number | null, text: string): Promise<boolean> {
    if (this.running || !text.trim()) return false;
    const isNew = this.conversationId === null;
    this.pending = { parentId, text };
    const options = this.turnOptions();
    this.run = { questionId: null, answerIds: [], vote: options.vote ?? null };
    const request = { ...options, conversation_id: this.conversationId, parent_id: parentId, text };
    return this.follow(() => this.backend.ask(request, (events) => this.batcher.push(...events)), isNew);
  }

  /** New answers to a question already asked (siblings of the existing ones). */
  async regenerate(questionId: number): Promise<void> {
    if (this.running) return;
    const options = this.turnOptions();
    this.run = { questionId, answerIds: [], vote: options.vote ?? null };
    const request = { ...options, question_id: questionId };
    await this.follow(() => this.backend.regenerate(request, (events) => this.batcher.push(...events)), false);
  }

  /** Continues `answerId`'s question from the person's fixed step (whole lines), into a new branch
   * beside it; false when it could not start. */
  async fixStep(answerId: number, personThinking: string): Promise<boolean> {
    const answer = this.thread?.messages.find((m) => m.id === answerId);
    if (this.running || !answer || answer.parent_id === null || !personThinking.trim()) return false;
    this.run = { questionId: answer.parent_id, answerIds: [], vote: null };
    this.seed = personThinking.endsWith("\n") ? personThinking : `${personThinking}\n`;
    const request = {
      ...this.hooks.options(),
      thinking: true,
      candidates: 1,
      answer_id: answerId,
      person_thinking: personThinking,
    };
    return this.follow(() => this.backend.fixStep(request, (events) => this.batcher.push(...events)), false);
  }

  /** Regenerates the answer to the last question on screen. */
  regenerateLast(): Promise<void> {
    const q = lastQuestion(this.thread);
    return q ? this.regenerate(q.id) : Promise.resolve();
  }

  /** Runs a generation to its end; false when it could not start (nothing was saved). */
  private async follow(start: () => Promise<RunningAnswer>, isNew: boolean): Promise<boolean> {
    let handle: RunningAnswer;
    try {
      handle = await start();
    } catch (e) {
      this.hooks.fail(e);
      this.run = null;
      this.pending = null;
      this.seed = null;
      return false;
    }
    try {
      this.handle = handle;
      if (this.run) this.run.questionId = handle.questionId;
      this.conversationId = handle.conversationId;
      this.thread = await this.backend.thread(handle.conversationId);
      this.pending = null;
      if (isNew) {
        this.hooks.changed();
        // A new conversation keeps the mode it was started in.
        if (this.mode.kind !== "answer") await this.backend.setAnswerMode(handle.conversationId, this.mode);
      }
      await handle.done;
    } catch (e) {
      this.hooks.fail(e);
    } finally {
      this.batcher.flush();
      this.handle = null;
      this.run = null;
      this.pending = null;
      this.seed = null;
      await this.reload();
      this.hooks.changed();
    }
    return true;
  }

  /** Stops generating; what was written is kept. */
  async stop(): Promise<void> {
    try {
      await this.handle?.stop();
    } catch (e) {
      this.hooks.fail(e);
    }
  }

  /** Shows a sibling's branch ("‹ 2 / 3 ›"). */
  async navigate(messageId: number): Promise<void> {
    if (this.running) return;
    try {
      await this.backend.setActive(messageId);
    } catch (e) {
      this.hooks.fail(e);
    }
    await this.reload();
  }

  /** Checks an answer (grader or model) and shows the verdict with it. */
  async check(answerId: number): Promise<void> {
    try {
      const saved = await this.backend.checkAnswer({ ...this.hooks.options(), candidates: 1, answer_id: answerId });
      const m = this.thread?.messages.find((x) => x.id === answerId);
      if (m) m.check = saved.check;
    } catch (e) {
      this.hooks.fail(e);
    }
  }

  /** Keeps a saved rating (or its removal) on screen without reloading the conversation. */
  setRating(answerId: number, rating: Rating | null): void {
    const m = this.thread?.messages.find((x) => x.id === answerId);
    if (m) m.rating = rating;
  }
}
