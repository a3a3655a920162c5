// The composer's mode — one answer, a vote over several chains of thought, or thinking longer — and
// the options each adds to a turn. The mode is remembered per conversation (in the store).
import type { AnswerMode, AnswerOptions } from "../ipc/types";
import { MAX_VOTERS } from "../ipc/types";

/** The vote sizes the composer offers. */
export const VOTE_SIZES = [4, 8, MAX_VOTERS] as const;
/** Thinking longer's first minimum, in tokens. */
export const DEFAULT_MIN_THINKING = 512;

/** `base` with what `mode` asks for: several chains instead of side-by-side candidates, or a minimum
 * of thinking (only with thinking on, which the minimum needs). */
export function optionsFor(mode: AnswerMode, base: AnswerOptions): AnswerOptions {
  switch (mode.kind) {
    case "vote":
      return { ...base, candidates: 1, vote: mode.chains };
    case "think_longer":
      return base.thinking ? { ...base, min_thinking: mode.min_tokens } : base;
    case "answer":
      return base;
  }
}

/** The select's value for a mode. */
export function modeKey(mode: AnswerMode): string {
  return mode.kind === "vote" ? `vote:${mode.chains}` : mode.kind;
}

/** The mode a select value stands for (`current` keeps thinking longer's minimum). */
export function modeFromKey(key: string, current: AnswerMode): AnswerMode {
  if (key.startsWith("vote:")) {
    const chains = Number(key.slice(5));
    if (Number.isInteger(chains) && chains >= 2 && chains <= MAX_VOTERS) return { kind: "vote", chains };
  }
  if (key === "think_longer")
    return current.kind === "think_longer" ? current : { kind: "think_longer", min_tokens: DEFAULT_MIN_THINKING };
  return { kind: "answer" };
}
