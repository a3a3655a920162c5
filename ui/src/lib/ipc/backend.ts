// The window's only way to Rust. Components depend on this interface; `tauri.ts` implements it over
// IPC and `fake.ts` in memory, so the UI runs and is tested without Rust. Every method rejects with an
// `ErrorBody` ({kind, message}) when something goes wrong; the window shows the message and stays up.
import type {
  AnswerEvent,
  AnswerMode,
  AskRequest,
  CheckRequest,
  Message,
  ExportSummary,
  ExportRequest,
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
  Verdict,
  VersionSummary,
} from "./types";
import type { ConversationPage, PageCursor, Rating, RatingInput, SearchHit, SearchQuery, Thread } from "./types";

/** A running answer. */
export interface RunningAnswer {
  /** The conversation it belongs to (new if the request had none). */
  conversationId: number;
  /** The question the answers reply to (new for `ask`, the same one for `regenerate`). */
  questionId: number;
  /** Stops generating; what was written is kept. */
  stop(): Promise<void>;
  /** Resolves when every candidate has finished. */
  done: Promise<void>;
}

export interface Backend {
  // Chat
  /** Saves the question and streams the answer; `onEvents` gets batches of events (about one per frame). */
  ask(request: AskRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer>;
  /** New answers (siblings of the existing ones) to a question already asked. */
  regenerate(request: RegenerateRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer>;
  /** Continues an answer's question from the person's fixed step, into a new branch beside it. */
  fixStep(request: FixStepRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer>;
  /** Whether an answer is right, where something says what right is (the person's better answer, the
   * question's arithmetic); null where nothing does. */
  gradeAnswer(answerId: number): Promise<Verdict | null>;
  /** Checks an answer (the grader where the question has a known answer, else the model in a second
   * turn) and saves the verdict with it; the answer as now saved. */
  checkAnswer(request: CheckRequest): Promise<Message>;
  /** How the composer answers in a conversation (Answer, Vote N, Think longer). */
  answerMode(conversationId: number): Promise<AnswerMode>;
  setAnswerMode(conversationId: number, mode: AnswerMode): Promise<void>;

  // History
  /** Conversations, most recent activity first. */
  listConversations(limit: number, after: PageCursor | null): Promise<ConversationPage>;
  /** A whole conversation: every message of every branch, and the branch on screen. */
  thread(conversationId: number): Promise<Thread>;
  /** Shows `messageId`'s branch; returns the new branch on screen (ids from the root). */
  setActive(messageId: number): Promise<number[]>;
  renameConversation(id: number, title: string): Promise<void>;
  /** Hides the conversation; `restoreConversation` undoes it until the app purges it. */
  deleteConversation(id: number): Promise<void>;
  restoreConversation(id: number): Promise<void>;
  search(query: SearchQuery): Promise<SearchHit[]>;

  // Ratings
  rate(answerId: number, input: RatingInput): Promise<Rating>;
  clearRating(answerId: number): Promise<void>;
  /** Up/down counts per day and per model, for the export view's chart. */
  ratingStats(): Promise<RatingStats>;

  // Learning from the ratings
  /** What a run would learn from (counts, samples), the methods and why, its cost against this machine. */
  learnPlan(request: LearnStartRequest): Promise<LearnPlan>;
  /** Starts (or resumes) a run in the background; `onStatus` gets every step and the end. */
  startLearning(request: LearnStartRequest, onStatus: (status: LearningStatus) => void): Promise<void>;
  /** Stops the run after its current step; it can be resumed. */
  cancelLearning(): Promise<void>;
  /** Where learning is, also a run an earlier session left unfinished. */
  learningStatus(): Promise<LearningStatus>;
  /** Learned versions, oldest first. */
  listVersions(): Promise<VersionSummary[]>;
  /** Gives a version the name people see (its answers keep the name they carry). */
  renameVersion(name: string, label: string): Promise<VersionSummary>;
  /** Deletes a version (refused for the model in use). */
  deleteVersion(name: string): Promise<void>;
  /** Wins and ties of every pair of models rated on the same questions. */
  comparisonTally(): Promise<PairTally[]>;

  // Settings (the window owns their shape; Rust stores the JSON in the data folder)
  loadSettings(): Promise<unknown>;
  saveSettings(settings: unknown): Promise<void>;

  // Model
  modelStatus(): Promise<ModelStatus>;
  /** Models on disk: the bundled one, the Hugging Face cache, folders and files used before. */
  listModels(): Promise<ModelEntry[]>;
  /** The models to download, sized for this machine (fits / tight / too big, speed), for `device`. */
  modelCatalog(device: DeviceChoice): Promise<ModelCatalog>;
  /** Frees the current model and loads another (downloading a hub id first); progress as it goes. */
  loadModel(choice: ModelChoice, onProgress: (p: LoadProgress) => void): Promise<ModelStatus>;
  /** The first screen's suggestions for the model in use, in `language` (problems the bundled model
   * answers right; general prompts for any other model). */
  suggestions(language: string): Promise<string[]>;
  /** Stops a download in progress (a later load resumes it). */
  cancelDownload(): Promise<void>;
  /** Keeps a server's API key in the OS keychain (never in the settings file). */
  saveServerKey(url: string, key: string): Promise<void>;
  /** Forgets a server's API key; false when none was kept. */
  forgetServerKey(url: string): Promise<boolean>;
  /** Whether a key is kept for the server (the key itself never comes back). */
  serverKeySaved(url: string): Promise<boolean>;
  /** The models the server at `url` lists (`/v1/models`), asked with the key kept for it. */
  serverModels(url: string): Promise<ListedModel[]>;

  // The database
  /** Opens the database again (after another program let go of it). */
  reopenStore(): Promise<void>;
  /** Copies a damaged database aside and rebuilds it from what can be read; says what came back. */
  repairStore(): Promise<RepairSummary>;

  // Files and the outside world
  /** A native dialog; null when cancelled. */
  pickPath(kind: "folder" | "gguf"): Promise<string | null>;
  /** Writes the chosen formats into a new folder; progress counts rated answers read. */
  exportRatings(request: ExportRequest, onProgress: (done: number) => void): Promise<ExportSummary>;
  /** Opens an http(s) link in the system browser (the webview never navigates away). */
  openExternal(url: string): Promise<void>;
}
