// An in-memory backend for UI tests and for running the window without Rust: it "thinks" and
// "answers" scripted text, in batches, like the real one, and keeps history, ratings, settings and a
// pretend model in memory. Tests can inspect `calls` and make any method fail with `failNext`.
import type { Backend, RunningAnswer } from "./backend";
import { fakeExport } from "./fake-export";
import { fakeStream } from "./fake-stream";
import { FakeLearning } from "./fake-learning";
import { FakeStore } from "./fake-store";
import type {
  AnswerEvent,
  AnswerMode,
  AskRequest,
  CheckRequest,
  Message,
  ExportSummary,
  ExportRequest,
  ErrorBody,
  ErrorKind,
  FixStepRequest,
  LearnPlan,
  LearnStartRequest,
  LearningStatus,
  ListedModel,
  LoadProgress,
  ModelChoice,
  DeviceChoice,
  CatalogOffer,
  ModelCatalog,
  ModelEntry,
  ModelStatus,
  PairTally,
  RatingStats,
  RegenerateRequest,
  RepairSummary,
  Verdict,
  VersionSummary,
} from "./types";
import type { ConversationPage, PageCursor, Rating, RatingInput, SearchHit, SearchQuery, Thread } from "./types";

export interface Script {
  thinking: string[];
  answer: string[];
  /** Ends the answer with this generation error instead of "stop". */
  error?: string;
  /** For a vote: chain i answers `chainAnswers[i % length]` instead of `answer` (so they can disagree). */
  chainAnswers?: string[];
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
    quantization_automatic: false,
    threads: 2,
    context_tokens: 2048,
  },
  bundled: true,
};

/** A server's API root (`http://host:8080/v1`), however its address was written: the keychain's account. */
function apiRoot(url: string): string {
  const base = url.trim().replace(/\/+$/, "");
  return base.endsWith("/v1") ? base : `${base}/v1`;
}

function offer(
  key: string,
  name: string,
  fit: CatalogOffer["fit"],
  gib: number,
  rate: number,
  choice: ModelChoice,
): CatalogOffer {
  const repo = key.split(":")[0] ?? key;
  const gguf = choice.source === "hub_gguf" ? choice.quant : null;
  return {
    key,
    name,
    repo,
    format: gguf ? `GGUF ${gguf}` : "safetensors",
    runs_as: gguf ?? "Q8_0",
    download_bytes: Math.round(gib * 0.4 * 2 ** 30),
    memory_bytes: Math.round(gib * 2 ** 30),
    tokens_per_second: rate,
    fit,
    downloaded: false,
    recommended: false,
    choice,
  };
}

/** A catalog as a 24 GiB, two-core machine gets it (three of the real list's offers). */
export function fakeCatalog(): ModelCatalog {
  const offers = [
    offer("Qwen/Qwen3-0.6B-GGUF:Q8_0", "Qwen3-0.6B", "fits", 2.1, 15.9, {
      source: "hub_gguf",
      id: "Qwen/Qwen3-0.6B-GGUF",
      quant: "Q8_0",
      device: "cpu",
    }),
    offer("Qwen/Qwen3-8B", "Qwen3-8B", "fits", 17.3, 1.2, {
      source: "hub",
      id: "Qwen/Qwen3-8B",
      device: "cpu",
      quantization: "auto",
    }),
    offer("Qwen/QwQ-32B", "QwQ-32B", "too_big", 64, 0.3, {
      source: "hub",
      id: "Qwen/QwQ-32B",
      device: "cpu",
      quantization: "auto",
    }),
  ];
  offers.forEach((o, i) => (o.recommended = i === 0));
  return { offers, total_memory: 24 * 2 ** 30, gpu_memory: null, bandwidth_gb_per_s: 37.4, threads: 2 };
}

export class FakeBackend implements Backend {
  private lastId = 0;
  private store = new FakeStore(() => ++this.lastId);
  /** Learning runs, versions and the comparison tally. */
  readonly learning: FakeLearning;
  readonly asked: AskRequest[] = [];
  readonly regenerated: RegenerateRequest[] = [];
  /** Every call made, in order, with its arguments (callbacks left out). */
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** Links handed to `openExternal`. */
  readonly opened: string[] = [];
  settingsBlob: unknown;
  status: ModelStatus;
  models: ModelEntry[];
  /** What `modelCatalog` answers. */
  catalog: ModelCatalog = fakeCatalog();
  /** What `pickPath` answers next, per kind. */
  picks: Record<"folder" | "gguf", string | null> = { folder: "/home/me/export", gguf: "/home/me/model.gguf" };
  /** The "keychain": server keys by API root, as the OS keychain files them. */
  readonly serverKeys = new Map<string, string>();
  /** What each server lists, by API root; a server not here cannot be reached. */
  readonly servedModels = new Map<string, ListedModel[]>();
  private failures = new Map<string, ErrorBody>();
  private downloadCancelled = false;

  constructor(
    private script: (request: AskRequest) => Script = () => ({ thinking: ["Let me think."], answer: ["42"] }),
    private tick: () => Promise<void> = () => Promise.resolve(),
    options: FakeOptions = {},
  ) {
    this.learning = new FakeLearning(this.store, tick);
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
    return fakeStream(
      this.store,
      this.tick,
      conversationId,
      question.id,
      request,
      this.script(request),
      model,
      onEvents,
    );
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
    return fakeStream(
      this.store,
      this.tick,
      question.conversation_id,
      question.id,
      request,
      this.script(asked),
      model,
      onEvents,
    );
  }

  async fixStep(request: FixStepRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer> {
    this.enter("fixStep", request);
    const model = this.modelId();
    const fixed = this.store.message(request.answer_id);
    if (fixed.role !== "assistant" || fixed.parent_id === null)
      throw { kind: "invalid", message: "only an answer's thinking can be fixed" };
    const question = this.store.message(fixed.parent_id);
    const options = { ...request, thinking: true, candidates: 1 };
    const asked: AskRequest = {
      ...options,
      conversation_id: question.conversation_id,
      parent_id: question.parent_id,
      text: question.content,
    };
    const words = request.person_thinking.endsWith("\n") ? request.person_thinking : `${request.person_thinking}\n`;
    const fix = { from: fixed.id, person_thinking: words };
    return fakeStream(
      this.store,
      this.tick,
      question.conversation_id,
      question.id,
      options,
      this.script(asked),
      model,
      onEvents,
      fix,
    );
  }

  async gradeAnswer(answerId: number): Promise<Verdict | null> {
    this.enter("gradeAnswer", answerId);
    const answer = this.store.message(answerId);
    if (answer.parent_id === null) throw { kind: "invalid", message: "only an answer can be graded" };
    const m = /(\d+)\s*([+\-×x*])\s*(\d+)/.exec(this.store.message(answer.parent_id).content);
    if (!m) return null;
    const [a, b] = [Number(m[1]), Number(m[3])];
    const reference = String(m[2] === "+" ? a + b : m[2] === "-" ? a - b : a * b);
    const numbers = answer.content.match(/-?\d+/g) ?? [];
    return { correct: numbers[numbers.length - 1] === reference, reference };
  }

  async checkAnswer(request: CheckRequest): Promise<Message> {
    this.enter("checkAnswer", request);
    const answer = this.store.message(request.answer_id);
    const graded = await this.gradeAnswer(request.answer_id);
    this.calls.pop();
    answer.check = graded
      ? {
          method: "grader",
          verdict: graded.correct ? "correct" : "incorrect",
          reason: `The right answer is ${graded.reference}.`,
          thinking: null,
          model: null,
          checked_at: this.store.now(),
        }
      : {
          method: "model",
          verdict: "unsure",
          reason: "I could not tell.",
          thinking: null,
          model: this.modelId(),
          checked_at: this.store.now(),
        };
    const saved = this.store.thread(answer.conversation_id).messages.find((m) => m.id === answer.id);
    if (!saved) throw { kind: "not_found", message: "the answer is gone" };
    return saved;
  }

  private modes = new Map<number, AnswerMode>();

  async answerMode(conversationId: number): Promise<AnswerMode> {
    this.enter("answerMode", conversationId);
    return this.modes.get(conversationId) ?? { kind: "answer" };
  }

  async setAnswerMode(conversationId: number, mode: AnswerMode): Promise<void> {
    this.enter("setAnswerMode", conversationId, mode);
    this.modes.set(conversationId, mode);
  }

  async learnPlan(request: LearnStartRequest): Promise<LearnPlan> {
    this.enter("learnPlan", request);
    return this.learning.plan(request);
  }

  async startLearning(request: LearnStartRequest, onStatus: (status: LearningStatus) => void): Promise<void> {
    this.enter("startLearning", request);
    const base = request.base?.split("/").filter(Boolean).pop() ?? "ponder-tiny";
    await this.learning.start(request, onStatus, base);
  }

  async cancelLearning(): Promise<void> {
    this.enter("cancelLearning");
    this.learning.cancel();
  }

  async learningStatus(): Promise<LearningStatus> {
    this.enter("learningStatus");
    return this.learning.status;
  }

  async listVersions(): Promise<VersionSummary[]> {
    this.enter("listVersions");
    return this.learning.versions.map((v) => ({ ...v }));
  }

  async renameVersion(name: string, label: string): Promise<VersionSummary> {
    this.enter("renameVersion", name, label);
    return this.learning.rename(name, label);
  }

  async deleteVersion(name: string): Promise<void> {
    this.enter("deleteVersion", name);
    this.learning.remove(name, this.status.state === "ready" ? this.status.info.name : null);
  }

  async comparisonTally(): Promise<PairTally[]> {
    this.enter("comparisonTally");
    return this.learning.tally();
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

  async modelCatalog(device: DeviceChoice): Promise<ModelCatalog> {
    this.enter("modelCatalog", device);
    return structuredClone(this.catalog);
  }

  async loadModel(choice: ModelChoice, onProgress: (p: LoadProgress) => void): Promise<ModelStatus> {
    this.enter("loadModel", choice);
    this.status = { state: "loading", choice };
    this.downloadCancelled = false;
    const fail = (kind: ErrorKind, message: string): never => {
      this.status = { state: "failed", kind, message };
      throw { kind, message };
    };
    if (choice.source === "server") {
      await this.tick();
      onProgress({ stage: "checking" });
      if (!/^https?:\/\//.test(choice.url)) fail("invalid", `${choice.url}: a server address starts with http://.`);
      const root = `${choice.url.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1`;
      onProgress({ stage: "ready" });
      const info = {
        id: root,
        name: choice.model ?? "Qwen/Qwen3-8B",
        architecture: "served (vllm)",
        device: `server ${root}`,
        quantization: null,
        quantization_automatic: false,
        threads: 0,
        context_tokens: 40960,
      };
      this.status = { state: "ready", info, bundled: false };
      return this.status;
    }
    const hub = choice.source === "hub" || choice.source === "hub_gguf";
    if (hub) {
      const total = 4_000_000;
      for (let done = 0; done <= total; done += 1_000_000) {
        await this.tick();
        if (this.downloadCancelled) fail("cancelled", "The download was cancelled.");
        const file = choice.source === "hub_gguf" ? `model-${choice.quant}.gguf` : "model.safetensors";
        onProgress({ stage: "downloading", file, bytes_done: done, bytes_total: total });
      }
    }
    const path = hub ? choice.id : choice.source === "bundled" ? "ponder-tiny" : choice.path;
    await this.tick();
    onProgress({ stage: "checking" });
    if (path.includes("broken")) fail("model_missing_file", `Cannot load ${path}: config.json is missing.`);
    await this.tick();
    onProgress({ stage: "loading" });
    await this.tick();
    onProgress({ stage: "ready" });
    const id = choice.source === "bundled" ? "ponder-tiny" : (path.split("/").filter(Boolean).pop() ?? path);
    const automatic = "quantization" in choice && choice.quantization === "auto";
    const quantization =
      choice.source === "gguf"
        ? "GGUF Q8_0"
        : choice.source === "hub_gguf"
          ? `GGUF ${choice.quant}`
          : automatic
            ? choice.source === "bundled"
              ? null
              : "Q8_0"
            : choice.quantization;
    const info = {
      id: path,
      name: hub ? choice.id : id,
      architecture: "qwen3",
      device: choice.device,
      quantization,
      quantization_automatic: automatic,
      threads: 2,
      context_tokens: choice.source === "bundled" ? 2048 : 40960,
    };
    this.status = { state: "ready", info, bundled: choice.source === "bundled" };
    return this.status;
  }

  async suggestions(language: string): Promise<string[]> {
    this.enter("suggestions", language);
    const name = this.status.state === "ready" ? this.status.info.name : "";
    if (name.startsWith("ponder-tiny"))
      return language === "zh"
        ? ["347 + 589 等于多少？", "计算 58 + 27。"]
        : ["What is 347 + 589?", "Compute 58 + 27."];
    return language === "zh" ? ["“strawberry” 这个单词里有几个字母 r？"] : ['How many r\'s are in "strawberry"?'];
  }

  async cancelDownload(): Promise<void> {
    this.enter("cancelDownload");
    this.downloadCancelled = true;
  }

  async saveServerKey(url: string, key: string): Promise<void> {
    this.enter("saveServerKey", url);
    if (!key.trim()) throw { kind: "invalid", message: "invalid request: the API key is empty" };
    this.serverKeys.set(apiRoot(url), key.trim());
  }

  async forgetServerKey(url: string): Promise<boolean> {
    this.enter("forgetServerKey", url);
    return this.serverKeys.delete(apiRoot(url));
  }

  async serverKeySaved(url: string): Promise<boolean> {
    this.enter("serverKeySaved", url);
    return this.serverKeys.has(apiRoot(url));
  }

  async serverModels(url: string): Promise<ListedModel[]> {
    this.enter("serverModels", url);
    const listed = this.servedModels.get(apiRoot(url));
    if (!listed) {
      throw {
        kind: "server",
        message: `server ${apiRoot(url)}: could not connect (is the server running, and is the address right?)`,
      };
    }
    return listed;
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
    return fakeExport(this.store, request, onProgress);
  }

  async openExternal(url: string): Promise<void> {
    this.enter("openExternal", url);
    this.opened.push(url);
  }
}
