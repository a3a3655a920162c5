import { describe, expect, it } from "vitest";
import type { StepReport } from "../ipc/types";
import { curveLines } from "./curve";
import { duration, reasonKey, size } from "./learning.svelte";
import type { LearnPlan } from "../ipc/types";

const step = (n: number, loss: number, reward: number | null = null): StepReport => ({
  step: n,
  total: 5,
  method: reward === null ? "sft" : "grpo",
  loss,
  reward,
  accuracy: null,
  kl: null,
  lr: 1e-3,
  seconds: n,
  eta_seconds: 5 - n,
});

describe("the progress chart", () => {
  it("spans the whole run and scales the loss to the highest so far", () => {
    const lines = curveLines([step(1, 2), step(2, 1), step(3, 0.5)], 5, 100, 50);
    expect(lines.loss).toBe("0.0,0.0 25.0,25.0 50.0,37.5");
    expect(lines.reward).toBe("");
    expect(lines.top).toBe(2);
  });

  it("draws GRPO's reward on its own 0–1 scale", () => {
    const lines = curveLines([step(1, 0.3, 0), step(5, 0.1, 1)], 5, 100, 50);
    expect(lines.reward).toBe("0.0,50.0 100.0,0.0");
  });

  it("survives a non-finite loss and a one-step run", () => {
    expect(curveLines([step(1, Number.NaN), step(1, 1)], 1, 100, 50).loss).toBe("100.0,0.0");
  });

  it("says times and sizes as people read them", () => {
    expect([duration(42), duration(180), duration(4800)]).toEqual(["42 s", "3 min", "1 h 20 min"]);
    expect([size(300 * 2 ** 20), size(3.5 * 2 ** 30)]).toEqual(["300 MiB", "3.5 GiB"]);
  });

  it("says why in the window's language, whatever order the methods come in", () => {
    const plan = (methods: LearnPlan["methods"]) => ({ methods }) as LearnPlan;
    expect(reasonKey(plan(["sft", "dpo"]), false)).toBe("learn.reason_dpo_sft");
    expect(reasonKey(plan(["kto"]), false)).toBe("learn.reason_kto");
    expect(reasonKey(plan(["kto"]), true)).toBe("learn.reason_chosen");
    expect(reasonKey(plan(["kto", "grpo"]), false)).toBeNull();
  });
});
