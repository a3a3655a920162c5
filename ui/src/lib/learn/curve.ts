// The progress chart's geometry: the loss (and, for GRPO, the reward) of each step as SVG polylines,
// the x axis spanning the run's whole length so the line grows toward the right as steps come in.
import type { StepReport } from "../ipc/types";

export interface CurveLines {
  /** `points` of the loss line. */
  loss: string;
  /** `points` of the reward line (GRPO steps only), or "". */
  reward: string;
  /** The loss at the top of the chart. */
  top: number;
}

/** Lines for `steps` of a run of `total` steps in a `width` × `height` box. */
export function curveLines(steps: StepReport[], total: number, width: number, height: number): CurveLines {
  const finite = steps.filter((s) => Number.isFinite(s.loss));
  const top = Math.max(1e-6, ...finite.map((s) => s.loss));
  const bottom = Math.min(0, ...finite.map((s) => s.loss));
  const x = (step: number) => (total <= 1 ? width : ((step - 1) / (total - 1)) * width);
  const y = (v: number, lo: number, hi: number) => height - ((v - lo) / (hi - lo || 1)) * height;
  const fmt = (n: number) => n.toFixed(1);
  const loss = finite.map((s) => `${fmt(x(s.step))},${fmt(y(s.loss, bottom, top))}`).join(" ");
  const reward = steps
    .filter((s) => s.reward !== null && Number.isFinite(s.reward))
    .map((s) => `${fmt(x(s.step))},${fmt(y(s.reward ?? 0, 0, 1))}`)
    .join(" ");
  return { loss, reward, top };
}
