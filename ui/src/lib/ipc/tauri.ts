// The real backend: each method is one Tauri command (see src-tauri/src/commands/); streams arrive on
// channels. Command arguments are camelCase (Tauri's convention); the DTOs inside keep serde's names.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { Backend, RunningAnswer } from "./backend";
import type {
  AnswerBatch,
  AnswerEvent,
  AnswerMode,
  AskRequest,
  CheckRequest,
  Message,
  ExportSummary,
  ExportRequest,
  ErrorBody,
  FixStepRequest,
  LearnPlan,
  LearnStartRequest,
  LearningStatus,
  ListedModel,
  LoadProgress,
  ModelChoice,
  DeviceChoice,
  ModelCatalog,
  ModelEntry,
  ModelStatus,
  PairTally,
  RatingStats,
  RegenerateRequest,
  RepairSummary,
  Started,
  Verdict,
  VersionSummary,
} from "./types";
import type { ConversationPage, PageCursor, Rating, RatingInput, SearchHit, SearchQuery, Thread } from "./types";

/** Errors from Rust are `{kind, message}`; anything else (a Tauri failure) is wrapped into one. */
function asIpcError(e: unknown): ErrorBody {
  if (typeof e === "object" && e !== null && "kind" in e && "message" in e) return e as ErrorBody;
  return { kind: "internal", message: String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw asIpcError(e);
  }
}

/** Starts a streaming command and ties its channel to a RunningAnswer. */
async function stream(
  command: string,
  request: AskRequest | RegenerateRequest | FixStepRequest,
  onEvents: (events: AnswerEvent[]) => void,
): Promise<RunningAnswer> {
  let finish!: () => void;
  let fail!: (e: ErrorBody) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const channel = new Channel<AnswerBatch>();
  channel.onmessage = (batch) => {
    if (batch.events.length > 0) onEvents(batch.events);
    if (batch.done) {
      if (batch.error) fail(batch.error);
      else finish();
    }
  };
  const started = await call<Started>(command, { request, onBatch: channel });
  return {
    conversationId: started.conversation_id,
    questionId: started.question_id,
    stop: () => call<void>("stop", { runId: started.run_id }),
    done,
  };
}

export class TauriBackend implements Backend {
  ask(request: AskRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer> {
    return stream("ask", request, onEvents);
  }

  regenerate(request: RegenerateRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer> {
    return stream("regenerate", request, onEvents);
  }

  fixStep(request: FixStepRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer> {
    return stream("fix_step", request, onEvents);
  }

  gradeAnswer(answerId: number): Promise<Verdict | null> {
    return call("grade_answer", { answerId });
  }

  checkAnswer(request: CheckRequest): Promise<Message> {
    return call("check_answer", { request });
  }

  answerMode(conversationId: number): Promise<AnswerMode> {
    return call("answer_mode", { conversationId });
  }

  setAnswerMode(conversationId: number, mode: AnswerMode): Promise<void> {
    return call("set_answer_mode", { conversationId, mode });
  }

  learnPlan(request: LearnStartRequest): Promise<LearnPlan> {
    return call("learn_plan", { request });
  }

  startLearning(request: LearnStartRequest, onStatus: (status: LearningStatus) => void): Promise<void> {
    const channel = new Channel<LearningStatus>();
    channel.onmessage = onStatus;
    return call("start_learning", { request, onStatus: channel });
  }

  cancelLearning(): Promise<void> {
    return call("cancel_learning");
  }

  learningStatus(): Promise<LearningStatus> {
    return call("learning_status");
  }

  listVersions(): Promise<VersionSummary[]> {
    return call("list_versions");
  }

  renameVersion(name: string, label: string): Promise<VersionSummary> {
    return call("rename_version", { name, label });
  }

  deleteVersion(name: string): Promise<void> {
    return call("delete_version", { name });
  }

  comparisonTally(): Promise<PairTally[]> {
    return call("comparison_tally");
  }

  listConversations(limit: number, after: PageCursor | null): Promise<ConversationPage> {
    return call("list_conversations", { limit, after });
  }

  thread(conversationId: number): Promise<Thread> {
    return call("thread", { conversationId });
  }

  setActive(messageId: number): Promise<number[]> {
    return call("set_active", { messageId });
  }

  renameConversation(id: number, title: string): Promise<void> {
    return call("rename_conversation", { id, title });
  }

  deleteConversation(id: number): Promise<void> {
    return call("delete_conversation", { id });
  }

  restoreConversation(id: number): Promise<void> {
    return call("restore_conversation", { id });
  }

  search(query: SearchQuery): Promise<SearchHit[]> {
    return call("search", { query });
  }

  rate(answerId: number, input: RatingInput): Promise<Rating> {
    return call("rate", { answerId, input });
  }

  clearRating(answerId: number): Promise<void> {
    return call("clear_rating", { answerId });
  }

  ratingStats(): Promise<RatingStats> {
    return call("rating_stats");
  }

  loadSettings(): Promise<unknown> {
    return call("load_settings");
  }

  saveSettings(settings: unknown): Promise<void> {
    return call("save_settings", { settings });
  }

  modelStatus(): Promise<ModelStatus> {
    return call("model_status");
  }

  listModels(): Promise<ModelEntry[]> {
    return call("list_models");
  }

  modelCatalog(device: DeviceChoice): Promise<ModelCatalog> {
    return call("model_catalog", { device });
  }

  loadModel(choice: ModelChoice, onProgress: (p: LoadProgress) => void): Promise<ModelStatus> {
    const channel = new Channel<LoadProgress>();
    channel.onmessage = onProgress;
    return call("load_model", { choice, onProgress: channel });
  }

  suggestions(language: string): Promise<string[]> {
    return call("suggestions", { language });
  }

  cancelDownload(): Promise<void> {
    return call("cancel_download");
  }

  saveServerKey(url: string, key: string): Promise<void> {
    return call("save_server_key", { url, key });
  }

  forgetServerKey(url: string): Promise<boolean> {
    return call("forget_server_key", { url });
  }

  serverKeySaved(url: string): Promise<boolean> {
    return call("server_key_saved", { url });
  }

  serverModels(url: string): Promise<ListedModel[]> {
    return call("server_models", { url });
  }

  reopenStore(): Promise<void> {
    return call("reopen_store");
  }

  repairStore(): Promise<RepairSummary> {
    return call("repair_store");
  }

  pickPath(kind: "folder" | "gguf"): Promise<string | null> {
    return call("pick_path", { kind });
  }

  exportRatings(request: ExportRequest, onProgress: (done: number) => void): Promise<ExportSummary> {
    const channel = new Channel<number>();
    channel.onmessage = onProgress;
    return call("export_ratings", { request, onProgress: channel });
  }

  openExternal(url: string): Promise<void> {
    return call("open_external", { url });
  }
}
