// Learning in the in-memory backend: a plan counted from the fake history's ratings, a run that steps
// on the backend's clock (cancellable, resumable), the versions it made, and the comparison tally.
import type { FakeStore } from "./fake-store";
import type {
  DataCounts,
  LearnPlan,
  LearnStartRequest,
  LearningStatus,
  Message,
  Method,
  PairTally,
  TeachSample,
  VersionSummary,
} from "./types";

const EMPTY: DataCounts = { sft: 0, pairs: 0, thumbs_up: 0, thumbs_down: 0, references: 0 };

export class FakeLearning {
  status: LearningStatus = { state: "idle" };
  versions: VersionSummary[] = [];
  /** Steps a run takes (small, so tests stay quick). */
  steps = 6;
  private cancelled = false;
  private resumeFrom = 0;

  constructor(
    private store: FakeStore,
    private tick: () => Promise<void>,
  ) {}

  private counts(): { counts: DataCounts; samples: TeachSample[]; fixed: number } {
    const rated = this.store.rated().map((r) => r.message);
    const up = rated.filter((m) => m.rating?.answer === "up");
    const down = rated.filter((m) => m.rating?.answer === "down");
    const pairs = up.filter((u) => down.some((d) => d.parent_id === u.parent_id));
    const question = (m: Message) => (m.parent_id === null ? "" : this.store.message(m.parent_id).content);
    const samples: TeachSample[] = [];
    const first = pairs[0];
    const rejected = first ? down.find((d) => d.parent_id === first.parent_id) : undefined;
    if (first && rejected)
      samples.push({ kind: "pair", question: question(first), answer: first.content, rejected: rejected.content });
    if (up[0]) samples.push({ kind: "answer", question: question(up[0]), answer: up[0].content, rejected: null });
    const fixed = rated.filter((m) => m.fixed);
    if (fixed[0]?.fixed)
      samples.push({
        kind: "fixed_step",
        question: question(fixed[0]),
        answer: fixed[0].fixed.person_thinking,
        rejected: null,
      });
    const counts = { ...EMPTY, sft: up.length, pairs: pairs.length, thumbs_up: up.length, thumbs_down: down.length };
    return { counts, samples, fixed: fixed.length };
  }

  plan(request: LearnStartRequest): LearnPlan {
    const { counts, samples, fixed } = this.counts();
    const methods: Method[] =
      request.methods.length > 0 ? request.methods : counts.pairs > 0 ? ["dpo", "sft"] : counts.sft > 0 ? ["sft"] : [];
    const reason =
      request.methods.length > 0
        ? "chosen in More"
        : counts.pairs > 0
          ? "pairs and good answers: DPO on the pairs, SFT on the answers"
          : counts.sft > 0
            ? "good answers only: SFT"
            : "nothing rated yet";
    return {
      counts,
      held_out: EMPTY,
      fixed_steps: fixed,
      samples,
      methods,
      reason,
      epochs: request.epochs ?? 3,
      learning_rate: request.learning_rate ?? 1e-3,
      lora_rank: request.lora_rank,
      rehearsal: methods.includes("sft") ? (request.rehearsal ?? 256) : 0,
      steps: methods.length > 0 ? this.steps : 0,
      parameters: 2_000_000,
      memory_bytes: 300 * 2 ** 20,
      available_bytes: 16 * 2 ** 30,
      seconds: 12,
      refusal: methods.length > 0 ? null : "nothing rated yet: rate some answers first",
    };
  }

  async start(request: LearnStartRequest, onStatus: (s: LearningStatus) => void, base: string): Promise<void> {
    if (this.status.state === "training") throw { kind: "busy", message: "a run is already training" };
    const plan = this.plan(request);
    if (!request.resume && plan.refusal) {
      this.status = { state: "failed", error: { kind: "invalid", message: plan.refusal } };
      onStatus(this.status);
      return;
    }
    const stopped = this.status.state === "stopped" ? this.status.version : null;
    if (request.resume && !stopped) throw { kind: "invalid", message: `no unfinished run of ${base} to resume` };
    const n = this.versions.filter((v) => v.parent === base).length + 1;
    const version = stopped ?? `${base}-learned-${n}`;
    const from = request.resume ? this.resumeFrom : 0;
    this.cancelled = false;
    const publish = (s: LearningStatus) => {
      this.status = s;
      onStatus(s);
    };
    publish({ state: "training", version, last_step: null });
    void (async () => {
      const total = this.steps;
      for (let step = from + 1; step <= total; step++) {
        await this.tick();
        if (this.cancelled) {
          this.resumeFrom = step - 1;
          publish({ state: "stopped", version, error: { kind: "interrupted", message: "the run was cancelled" } });
          return;
        }
        const loss = 0.9 * Math.exp(-step / 3) + 0.1;
        const method = plan.methods[step % Math.max(1, plan.methods.length)] ?? "sft";
        publish({
          state: "training",
          version,
          last_step: {
            step,
            total,
            method,
            loss,
            reward: method === "grpo" ? step / total : null,
            accuracy: method === "dpo" ? Math.min(1, 0.5 + step / (2 * total)) : null,
            kl: null,
            lr: plan.learning_rate,
            seconds: step * 2,
            eta_seconds: (total - step) * 2,
          },
        });
      }
      const score = (correct: number, total: number) => ({ correct, total });
      const summary: VersionSummary = {
        name: version,
        label: null,
        path: `/data/models/${version}`,
        parent: base,
        created_at: Date.now(),
        methods: plan.methods,
        lora_rank: plan.lora_rank,
        steps: total,
        seconds: total * 2,
        counts: plan.counts,
        evaluation: {
          before: score(1, 8),
          after: score(6, 8),
          pairs_before: score(0, 0),
          pairs_after: score(0, 0),
          regression_before: score(19, 20),
          regression_after: score(19, 20),
        },
      };
      this.versions.push(summary);
      this.resumeFrom = 0;
      publish({ state: "finished", version: summary });
    })();
  }

  cancel(): void {
    this.cancelled = true;
  }

  rename(name: string, label: string): VersionSummary {
    const v = this.versions.find((x) => x.name === name);
    if (!v) throw { kind: "invalid", message: `no learned version is called ${name}` };
    v.label = label.trim() || null;
    return { ...v };
  }

  remove(name: string, inUse: string | null): void {
    if (name === inUse)
      throw { kind: "invalid", message: `${name} is the model in use: load another before deleting it` };
    const before = this.versions.length;
    this.versions = this.versions.filter((v) => v.name !== name);
    if (this.versions.length === before) throw { kind: "invalid", message: `no learned version is called ${name}` };
  }

  /** As the store counts it: per question, each model's first rated answer; up beats down. */
  tally(): PairTally[] {
    const byQuestion = new Map<number, Map<string, "up" | "down">>();
    const rated = this.store.rated().sort((a, b) => a.message.id - b.message.id);
    for (const { message, model } of rated) {
      const vote = message.rating?.answer;
      if (!vote || message.parent_id === null) continue;
      const votes = byQuestion.get(message.parent_id) ?? new Map<string, "up" | "down">();
      if (!votes.has(model)) votes.set(model, vote);
      byQuestion.set(message.parent_id, votes);
    }
    const pairs = new Map<string, PairTally>();
    for (const votes of byQuestion.values()) {
      const models = [...votes.keys()].sort();
      for (let i = 0; i < models.length; i++)
        for (let j = i + 1; j < models.length; j++) {
          const [left, right] = [models[i] as string, models[j] as string];
          const key = `${left}\u0000${right}`;
          const t = pairs.get(key) ?? { left, right, left_wins: 0, right_wins: 0, ties: 0 };
          const [lv, rv] = [votes.get(left), votes.get(right)];
          if (lv === "up" && rv === "down") t.left_wins += 1;
          else if (lv === "down" && rv === "up") t.right_wins += 1;
          else t.ties += 1;
          pairs.set(key, t);
        }
    }
    return [...pairs.values()].sort((a, b) => a.left.localeCompare(b.left) || a.right.localeCompare(b.right));
  }
}
