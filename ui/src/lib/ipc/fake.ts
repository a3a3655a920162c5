// An in-memory backend for UI tests and for running the window without Rust: it "thinks" and
// "answers" scripted text, in batches, like the real one, and keeps history, ratings, settings and a
// pretend model in memory. Tests can inspect `calls` and make any method fail with `failNext`.
import type { Backend, RunningAnswer } from "./backend";
import { FakeStore } from "./fake-store";
import { MAX_CANDIDATES } from "./types";
import type {
  AnswerEvent,
  AnswerOptions,
  AskRequest,
  ExportSummary,
  ExportRequest,
  FinishReason,
  ErrorBody,
  ErrorKind,
  LoadProgress,
  ModelChoice,
  ModelEntry,
  ModelStatus,
  RatingStats,
  RegenerateRequest,
  RepairSummary,
} from "./types";
import type {
  ConversationPage,
  GenerationOutcome,
  PageCursor,
  Rating,
  RatingInput,
  SearchHit,
  SearchQuery,
  Thread,
} from "./types";

export interface Script {
  thinking: string[];
  answer: string[];
  /** Ends the answer with this generation error instead of "stop". */
  error?: string;
}

export interface FakeOptions {
  /** The settings blob `loadSettings` returns at first. */
  settings?: unknown;
  /** The model status at first (default: the bundled model, ready). */
  status?: ModelStatus;
  models?: ModelEntry[];
}

const BUNDLED: ModelStatus = {
  state: "ready",
  info: {
    id: "/app/models/ponder-tiny",
    name: "ponder-tiny",
    architecture: "qwen3",
    device: "cpu",
    quantization: null,
  },
  bundled: true,
};

export class FakeBackend implements Backend {
  private lastId = 0;
  private store = new FakeStore(() => ++this.lastId);
  readonly asked: AskRequest[] = [];
  readonly regenerated: RegenerateRequest[] = [];
  /** Every call made, in order, with its arguments (callbacks left out). */
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Links handed to `openExternal`. */
  readonly opened: string[] = [];
  settingsBlob: unknown;
  status: ModelStatus;
  models: ModelEntry[];
  /** What `pickPath` answers next, per kind. */
  picks: Record<"folder" | "gguf", string | null> = { folder: "/home/me/export", gguf: "/home/me/model.gguf" };
  private failures = new Map<string, ErrorBody>();
  private downloadCancelled = false;

  constructor(
    private script: (request: AskRequest) => Script = () => ({ thinking: ["Let me think."], answer: ["42"] }),
    private tick: () => Promise<void> = () => Promise.resolve(),
    options: FakeOptions = {},
  ) {
    this.settingsBlob = options.settings ?? null;
    this.status = options.status ?? BUNDLED;
    this.models = options.models ?? [
      {
        id: "ponder-tiny",
        path: "/app/models/ponder-tiny",
        origin: "bundled",
        architecture: "qwen3",
        problem: null,
        bytes: 2_400_000,
      },
      {
        id: "Qwen/Qwen3-0.6B",
        path: "/home/me/.cache/huggingface/hub/models--Qwen--Qwen3-0.6B",
        origin: "hub_cache",
        architecture: "qwen3",
        problem: null,
        bytes: 1_500_000_000,
      },
    ];
  }

  /** Makes the next call of `method` reject with `error`. */
  failNext(method: keyof Backend, error: ErrorBody): void {
    this.failures.set(method, error);
  }

  private enter(method: keyof Backend, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private modelId(): string {
    if (this.status.state !== "ready") throw { kind: "no_model", message: "No model is loaded." };
    return this.status.info.name;
  }

  async ask(request: AskRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer> {
    this.enter("ask", request);
    const model = this.modelId();
    if (!request.text.trim()) throw { kind: "invalid", message: "a question cannot be empty" };
    this.asked.push(request);
    const conversationId = request.conversation_id ?? this.store.startConversation(request.text);
    const question = this.store.add(conversationId, request.parent_id, "user", request.text);
    return this.stream(conversationId, question.id, request, this.script(request), model, onEvents);
  }

  async regenerate(request: RegenerateRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer> {
    this.enter("regenerate", request);
    const model = this.modelId();
    this.regenerated.push(request);
    const question = this.store.message(request.question_id);
    if (question.role !== "user") throw { kind: "invalid", message: "only questions can be answered again" };
    const asked: AskRequest = {
      ...request,
      conversation_id: question.conversation_id,
      parent_id: question.parent_id,
      text: question.content,
    };
    return this.stream(question.conversation_id, question.id, request, this.script(asked), model, onEvents);
  }

  /** What the store keeps of a finished generation (a pretend 1.5 s of thinking). */
  private outcome(thinking: number, answer: number, reason: FinishReason): GenerationOutcome {
    const finish = typeof reason === "object" ? "error" : reason;
    return {
      prompt_tokens: 10,
      thinking_tokens: thinking,
      answer_tokens: answer,
      time_to_first_token_ms: 5,
      thinking_ms: thinking > 0 ? 1500 : null,
      total_ms: 2000,
      finish_reason: finish,
      error: typeof reason === "object" ? reason.error : null,
    };
  }

  private stream(
    conversationId: number,
    questionId: number,
    options: AnswerOptions,
    script: Script,
    model: string,
    onEvents: (events: AnswerEvent[]) => void,
  ): RunningAnswer {
    const count = Math.max(1, Math.min(MAX_CANDIDATES, options.candidates));
    const answers = Array.from({ length: count }, () =>
      this.store.add(conversationId, questionId, "assistant", "", model),
    );
    const first = answers[0];
    if (first) this.store.setActive(first.id);
    const thinking = options.thinking ? script.thinking : [];
    const steps: AnswerEvent["event"][] = [
      ...thinking.map((data) => ({ type: "thinking" as const, data })),
      ...script.answer.map((data) => ({ type: "answer" as const, data })),
    ];
    let stopped = false;
    const finish = (reason: FinishReason) => {
      for (const m of answers) {
        m.status =
          reason === "stop" || reason === "length" ? "complete" : reason === "cancelled" ? "stopped" : "failed";
        m.updated_at = this.store.now();
        m.generation = {
          settings: {
            model: {
              id: m.model ?? "ponder-tiny",
              path: null,
              file_hash: null,
              architecture: "qwen3",
              quantization: null,
              device: "cpu",
            },
            sampling: { temperature: 0.6 },
            thinking_enabled: thinking.length > 0,
            thinking_budget: null,
            app_version: "0.1.0",
          },
          outcome: this.outcome(thinking.length, script.answer.length, reason),
        };
      }
      onEvents(
        answers.map((m, candidate) => ({ candidate, answer_id: m.id, event: { type: "finished", data: reason } })),
      );
    };
    const run = async () => {
      for (const step of steps) {
        await this.tick();
        if (stopped) return finish("cancelled");
        for (const m of answers) {
          if (step.type === "thinking") m.thinking = (m.thinking ?? "") + step.data;
          else if (step.type === "answer") m.content += step.data;
        }
        onEvents(answers.map((m, candidate) => ({ candidate, answer_id: m.id, event: step })));
      }
      const usage = {
        prompt_tokens: 10,
        thinking_tokens: thinking.length,
        answer_tokens: script.answer.length,
        time_to_first_token_ms: 5,
        tokens_per_second: 100,
      };
      onEvents(answers.map((m, candidate) => ({ candidate, answer_id: m.id, event: { type: "usage", data: usage } })));
      finish(script.error ? { error: script.error } : "stop");
    };
    const done = run();
    return {
      conversationId,
      questionId,
      stop: async () => {
        stopped = true;
      },
      done,
    };
  }

  async listConversations(limit: number, after: PageCursor | null): Promise<ConversationPage> {
    this.enter("listConversations", limit, after);
    return this.store.listConversations(limit, after);
  }

  async thread(conversationId: number): Promise<Thread> {
    this.enter("thread", conversationId);
    return this.store.thread(conversationId);
  }

  async setActive(messageId: number): Promise<number[]> {
    this.enter("setActive", messageId);
    return this.store.setActive(messageId);
  }

  async renameConversation(id: number, title: string): Promise<void> {
    this.enter("renameConversation", id, title);
    this.store.rename(id, title);
  }

  async deleteConversation(id: number): Promise<void> {
    this.enter("deleteConversation", id);
    this.store.setDeleted(id, true);
  }

  async restoreConversation(id: number): Promise<void> {
    this.enter("restoreConversation", id);
    this.store.setDeleted(id, false);
  }

  async search(query: SearchQuery): Promise<SearchHit[]> {
    this.enter("search", query);
    return this.store.search(query);
  }

  async rate(answerId: number, input: RatingInput): Promise<Rating> {
    this.enter("rate", answerId, input);
    return this.store.rate(answerId, input);
  }

  async clearRating(answerId: number): Promise<void> {
    this.enter("clearRating", answerId);
    this.store.clearRating(answerId);
  }

  async ratingStats(): Promise<RatingStats> {
    this.enter("ratingStats");
    return this.store.ratingStats();
  }

  async loadSettings(): Promise<unknown> {
    this.enter("loadSettings");
    return this.settingsBlob === null ? null : structuredClone(this.settingsBlob);
  }

  async saveSettings(settings: unknown): Promise<void> {
    this.enter("saveSettings", settings);
    this.settingsBlob = structuredClone(settings);
  }

  async modelStatus(): Promise<ModelStatus> {
    this.enter("modelStatus");
    return this.status;
  }

  async listModels(): Promise<ModelEntry[]> {
    this.enter("listModels");
    return this.models.map((m) => ({ ...m }));
  }

  async loadModel(choice: ModelChoice, onProgress: (p: LoadProgress) => void): Promise<ModelStatus> {
    this.enter("loadModel", choice);
    this.status = { state: "loading", choice };
    this.downloadCancelled = false;
    const fail = (kind: ErrorKind, message: string): never => {
      this.status = { state: "failed", kind, message };
      throw { kind, message };
    };
    if (choice.source === "hub") {
      const total = 4_000_000;
      for (let done = 0; done <= total; done += 1_000_000) {
        await this.tick();
        if (this.downloadCancelled) fail("cancelled", "The download was cancelled.");
        onProgress({ stage: "downloading", file: "model.safetensors", bytes_done: done, bytes_total: total });
      }
    }
    const path = choice.source === "hub" ? choice.id : choice.source === "bundled" ? "ponder-tiny" : choice.path;
    await this.tick();
    onProgress({ stage: "checking" });
    if (path.includes("broken")) fail("model_missing_file", `Cannot load ${path}: config.json is missing.`);
    await this.tick();
    onProgress({ stage: "loading" });
    await this.tick();
    onProgress({ stage: "ready" });
    const id = choice.source === "bundled" ? "ponder-tiny" : (path.split("/").filter(Boolean).pop() ?? path);
    const quantization = choice.source === "gguf" ? "GGUF Q8_0" : choice.quantization;
    const info = {
      id: path,
      name: choice.source === "hub" ? choice.id : id,
      architecture: "qwen3",
      device: choice.device,
      quantization,
    };
    this.status = { state: "ready", info, bundled: choice.source === "bundled" };
    return this.status;
  }

  async cancelDownload(): Promise<void> {
    this.enter("cancelDownload");
    this.downloadCancelled = true;
  }

  async reopenStore(): Promise<void> {
    this.enter("reopenStore");
  }

  async repairStore(): Promise<RepairSummary> {
    this.enter("repairStore");
    return { backup: "/data/ponder.db.damaged-1.bak", conversations: 12, messages: 40, unreadable_rows: 3 };
  }

  async pickPath(kind: "folder" | "gguf"): Promise<string | null> {
    this.enter("pickPath", kind);
    return this.picks[kind];
  }

  async exportRatings(request: ExportRequest, onProgress: (done: number) => void): Promise<ExportSummary> {
    this.enter("exportRatings", request);
    if (request.formats.length === 0) throw { kind: "invalid", message: "choose at least one format" };
    const chosen = this.store.rated().filter(({ message, model }) => {
      const r = message.rating;
      if (!r) return false;
      if (request.models.length > 0 && !request.models.includes(model)) return false;
      if (request.vote && r.answer !== request.vote) return false;
      if (request.since_ms !== null && r.updated_at < request.since_ms) return false;
      if (request.until_ms !== null && r.updated_at > request.until_ms) return false;
      return request.tags.every((t) => (r.tags as string[]).includes(t));
    });
    chosen.forEach((_, i) => onProgress(i + 1));
    const up = chosen.filter(({ message }) => message.rating?.answer === "up").length;
    const down = chosen.filter(({ message }) => message.rating?.answer === "down").length;
    const pairs = Math.min(up, down);
    const test = Math.round(chosen.length * request.test_fraction);
    const rows: Record<string, number> = {};
    for (const format of request.formats) {
      const n = format === "dpo" ? pairs : format === "sft" ? up : format === "archive" ? chosen.length : up + down;
      const testRows = Math.min(n, Math.round(n * request.test_fraction));
      rows[`${format}/train.jsonl`] = n - testRows;
      if (test > 0) rows[`${format}/test.jsonl`] = testRows;
    }
    return {
      rows,
      rated: chosen.length,
      up,
      down,
      pairs,
      cross_model_pairs: 0,
      skipped_inline: 0,
      identical_pairs: 0,
      contradictory_kto: 0,
      kto_desirable: up,
      kto_undesirable: down,
      system_prompts: false,
      folder: request.folder,
    };
  }

  async openExternal(url: string): Promise<void> {
    this.enter("openExternal", url);
    this.opened.push(url);
  }
}
