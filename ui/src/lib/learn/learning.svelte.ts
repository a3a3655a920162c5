// The Learn page's state, kept for the window's life so a run is followed whichever page is on
// screen: the plan for the chosen settings, the run's status and its curve (one point per step), the
// versions made, and the comparison tally.
import type { MessageKey } from "../i18n/messages";
import type { Backend } from "../ipc/backend";
import type {
  LearnPlan,
  LearnStartRequest,
  LearningStatus,
  Method,
  PairTally,
  StepReport,
  VersionSummary,
} from "../ipc/types";

/** What the person may choose under "More"; null leaves it to Ponder. */
export interface LearnChoice {
  methods: Method[];
  epochs: number | null;
  learningRate: number | null;
  loraRank: number | null;
  /** Share of rated conversations held out to measure before and after. */
  heldOut: number;
  /** Problems of the regression check (the bundled model's lineage). */
  regression: number;
}

export const DEFAULT_CHOICE: LearnChoice = {
  methods: [],
  epochs: null,
  learningRate: null,
  loraRank: null,
  heldOut: 0,
  regression: 100,
};

export class LearnState {
  plan: LearnPlan | null = $state(null);
  planning = $state(false);
  status: LearningStatus = $state({ state: "idle" });
  /** The steps of the run on screen, in order. */
  curve: StepReport[] = $state([]);
  versions: VersionSummary[] = $state([]);
  tally: PairTally[] = $state([]);
  choice: LearnChoice = $state({ ...DEFAULT_CHOICE });
  /** The model folder learned from; null for the bundled model. */
  base: string | null = $state(null);
  private planSeq = 0;

  constructor(
    private backend: Backend,
    private fail: (e: unknown) => void,
  ) {}

  get training(): boolean {
    return this.status.state === "training";
  }

  request(resume = false): LearnStartRequest {
    const c = this.choice;
    return {
      base: this.base,
      methods: c.methods,
      epochs: c.epochs,
      learning_rate: c.learningRate,
      lora_rank: c.loraRank,
      held_out: c.heldOut,
      regression: c.regression,
      rehearsal: null,
      resume,
    };
  }

  /** Reads everything the page shows. */
  async refresh(): Promise<void> {
    try {
      const [status, versions, tally] = await Promise.all([
        this.backend.learningStatus(),
        this.backend.listVersions(),
        this.backend.comparisonTally(),
      ]);
      // A run this window follows reports on its own channel; the status read here can trail it.
      if (!this.training) this.status = status;
      this.versions = versions;
      this.tally = tally;
    } catch (e) {
      this.fail(e);
    }
    await this.replan();
  }

  /** Reads the versions and the tally only (Settings, Compare). */
  async loadVersions(): Promise<void> {
    try {
      [this.versions, this.tally] = await Promise.all([this.backend.listVersions(), this.backend.comparisonTally()]);
    } catch (e) {
      this.fail(e);
    }
  }

  /** The plan for the current choice (the latest request wins). */
  async replan(): Promise<void> {
    const seq = ++this.planSeq;
    this.planning = true;
    try {
      const plan = await this.backend.learnPlan(this.request());
      if (seq === this.planSeq) this.plan = plan;
    } catch (e) {
      if (seq === this.planSeq) this.plan = null;
      this.fail(e);
    } finally {
      if (seq === this.planSeq) this.planning = false;
    }
  }

  private onStatus = (s: LearningStatus): void => {
    if (s.state === "training" && s.last_step) {
      const step = s.last_step;
      const last = this.curve[this.curve.length - 1];
      if (last && step.step <= last.step) this.curve = this.curve.filter((p) => p.step < step.step);
      this.curve = [...this.curve, step];
    }
    this.status = s;
    if (s.state === "finished") void this.refresh();
  };

  /** Starts a run (or resumes the stopped one). */
  async start(resume = false): Promise<void> {
    if (this.training) return;
    if (!resume) this.curve = [];
    try {
      await this.backend.startLearning(this.request(resume), this.onStatus);
    } catch (e) {
      this.fail(e);
    }
  }

  async cancel(): Promise<void> {
    try {
      await this.backend.cancelLearning();
    } catch (e) {
      this.fail(e);
    }
  }

  async rename(name: string, label: string): Promise<void> {
    try {
      const renamed = await this.backend.renameVersion(name, label);
      this.versions = this.versions.map((v) => (v.name === name ? renamed : v));
    } catch (e) {
      this.fail(e);
    }
  }

  async remove(name: string): Promise<boolean> {
    try {
      await this.backend.deleteVersion(name);
      this.versions = this.versions.filter((v) => v.name !== name);
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  /** What people call a model: a version's label, else its name. */
  display(name: string): string {
    return this.versions.find((v) => v.name === name)?.label ?? name;
  }
}

/** The message key saying why a plan's methods were chosen (the reason in the window's language). */
export function reasonKey(plan: LearnPlan, chosen: boolean): MessageKey | null {
  if (chosen) return "learn.reason_chosen";
  const m = [...plan.methods].sort().join("+");
  const keys: Record<string, MessageKey> = {
    "dpo+sft": "learn.reason_dpo_sft",
    dpo: "learn.reason_dpo",
    kto: "learn.reason_kto",
    sft: "learn.reason_sft",
    grpo: "learn.reason_grpo",
  };
  return keys[m] ?? null;
}

/** Seconds as people read them: "45 s", "3 min", "1 h 20 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Bytes as GiB or MiB. */
export function size(bytes: number): string {
  const gib = bytes / 2 ** 30;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${Math.max(1, Math.round(bytes / 2 ** 20))} MiB`;
}
