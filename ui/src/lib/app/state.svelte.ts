// The window's shared state: settings (loaded at start, saved on every change), the model's status
// and loading progress, toasts (errors stay until dismissed; notices such as "deleted · Undo" time
// out), the view on screen, and `t` for the words in the chosen language.
import { getContext, setContext } from "svelte";
import { type MessageKey, t } from "../i18n/messages";
import type { Backend } from "../ipc/backend";
import type { LoadProgress, ModelChoice, ModelStatus, RepairSummary } from "../ipc/types";
import { DEFAULTS, type Settings, choiceFor, parseSettings } from "../settings/settings";
import { errorOf } from "./errors";

export type View = "chat" | "settings" | "export" | "learn" | "compare";

export interface Toast {
  id: number;
  tone: "error" | "info";
  message: string;
  action?: { label: string; run: () => void };
}

const KEY = Symbol("app");

export class AppState {
  settings: Settings = $state(DEFAULTS);
  ready = $state(false);
  view: View = $state("chat");
  model: ModelStatus = $state({ state: "empty" });
  progress: LoadProgress | null = $state(null);
  toasts: Toast[] = $state([]);
  /** The toast saying the last load failed, until a load works. */
  private loadFailure: number | null = null;
  private nextToast = 1;
  private timers = new Map<number, ReturnType<typeof setTimeout>>();

  /** Counts successful reopen/repair actions, so views can reload what they show. */
  storeRecovered = $state(0);

  constructor(readonly backend: Backend) {}

  /** The words for `key` in the chosen language. */
  t = (key: MessageKey, values: Record<string, string | number> = {}): string => t(this.settings.language, key, values);

  /** Reads the settings and the model's status; loads the chosen model if none is loaded yet. */
  async init(): Promise<void> {
    try {
      this.settings = parseSettings(await this.backend.loadSettings());
    } catch (e) {
      this.fail(e);
    }
    this.ready = true;
    try {
      this.model = await this.backend.modelStatus();
    } catch (e) {
      this.fail(e);
    }
    if (this.model.state === "empty" && this.settings.seenWelcome) void this.loadModel();
    else if (this.model.state === "loading") void this.pollStatus();
  }

  /** The shell may be loading a model on its own: follow it until it is done. */
  private async pollStatus(): Promise<void> {
    while (this.model.state === "loading" && this.progress === null) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        this.model = await this.backend.modelStatus();
      } catch (e) {
        this.fail(e);
        return;
      }
    }
  }

  /** Changes settings and saves them. */
  update(patch: Partial<Settings>): Promise<void> {
    this.settings = { ...this.settings, ...patch };
    return this.save();
  }

  async save(): Promise<void> {
    try {
      await this.backend.saveSettings($state.snapshot(this.settings));
    } catch (e) {
      this.fail(e);
    }
  }

  /** Loads the model chosen in the settings. */
  async loadModel(): Promise<void> {
    const choice = choiceFor(this.settings.model);
    if (!choice) {
      this.fail({ kind: "invalid", message: this.t("model.missing_path") });
      return;
    }
    await this.loadChoice(choice);
  }

  /** Loads `choice` (the settings stay as they are); false when it failed (the failure is shown). */
  async loadChoice(choice: ModelChoice): Promise<boolean> {
    this.model = { state: "loading", choice };
    this.progress = { stage: "checking" };
    try {
      this.model = await this.backend.loadModel(choice, (p) => (this.progress = p));
      // A load that works makes the last one's failure (a refused key, a server that was down) stale.
      if (this.loadFailure !== null) this.dismiss(this.loadFailure);
      this.loadFailure = null;
      return true;
    } catch (e) {
      const err = errorOf(e);
      this.model = { state: "failed", kind: err.kind, message: err.message };
      if (err.kind !== "cancelled") {
        this.fail(e);
        this.loadFailure = this.toasts.at(-1)?.id ?? null;
      }
      return false;
    } finally {
      this.progress = null;
    }
  }

  /** Makes the model folder `path` (a learned version) the model in use, now and at the next start. */
  async useFolder(path: string): Promise<void> {
    await this.update({ model: { ...this.settings.model, source: "folder", folder: path, quantization: "auto" } });
    await this.loadModel();
  }

  /** Makes a catalog model the one in use, now and at the next start: downloads it if needed and
   * loads it; false when that failed or was cancelled. */
  async useOffer(choice: ModelChoice): Promise<boolean> {
    if (choice.source !== "hub" && choice.source !== "hub_gguf") return this.loadChoice(choice);
    const hubQuant = choice.source === "hub_gguf" ? choice.quant : "";
    const quantization = choice.source === "hub" ? (choice.quantization ?? "none") : this.settings.model.quantization;
    await this.update({
      model: { ...this.settings.model, source: "hub", hubId: choice.id, hubQuant, device: choice.device, quantization },
    });
    return this.loadChoice(choice);
  }

  async cancelDownload(): Promise<void> {
    try {
      await this.backend.cancelDownload();
    } catch (e) {
      this.fail(e);
    }
  }

  /** Shows a failed call's message; the window keeps working. */
  fail(e: unknown): void {
    const err = errorOf(e);
    if (err.kind === "locked") {
      this.push({
        tone: "error",
        message: `${this.t("error.locked")} ${err.message}`,
        action: { label: this.t("error.retry"), run: () => void this.recover(() => this.backend.reopenStore()) },
      });
    } else if (err.kind === "corrupt") {
      this.push({
        tone: "error",
        message: `${this.t("error.corrupt")} ${err.message}`,
        action: { label: this.t("error.repair"), run: () => void this.recover(() => this.backend.repairStore()) },
      });
    } else {
      this.push({ tone: "error", message: err.message });
    }
  }

  /** Retries opening (or repairs) the database, then says how it went. */
  private async recover(action: () => Promise<RepairSummary | void>): Promise<void> {
    try {
      const repaired = await action();
      this.notify(
        repaired
          ? this.t(repaired.unreadable_rows > 0 ? "error.repaired_lossy" : "error.repaired", {
              conversations: repaired.conversations,
              messages: repaired.messages,
              lost: repaired.unreadable_rows,
              path: repaired.backup,
            })
          : this.t("error.reopened"),
        undefined,
        15000,
      );
      this.storeRecovered += 1;
    } catch (e) {
      this.fail(e);
    }
  }

  /** A notice that goes away by itself after `ms`. */
  notify(message: string, action?: Toast["action"], ms = 6000): number {
    const id = this.push({ tone: "info", message, action });
    this.timers.set(
      id,
      setTimeout(() => this.dismiss(id), ms),
    );
    return id;
  }

  private push(toast: Omit<Toast, "id">): number {
    const id = this.nextToast++;
    this.toasts = [...this.toasts, { id, ...toast }];
    return id;
  }

  dismiss(id: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    this.toasts = this.toasts.filter((x) => x.id !== id);
  }
}

export function provideApp(app: AppState): void {
  setContext(KEY, app);
}

export function useApp(): AppState {
  return getContext<AppState>(KEY);
}
