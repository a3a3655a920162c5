// Fixing a step of an answer's thinking: the steps a person can choose (the thinking's non-empty
// lines), the draft the editor starts from (every step before the chosen one, then the chosen one to
// rewrite), and where the person's words end in a thinking text that starts with them.

/** The thinking's steps: its non-empty lines, as written. */
export function stepsOf(thinking: string | null | undefined): string[] {
  return (thinking ?? "").split("\n").filter((l) => l.trim() !== "");
}

/** The text the editor starts with for step `index` (-1: a new first line, so nothing). */
export function draftFor(steps: string[], index: number): string {
  if (index < 0) return "";
  return steps.slice(0, index + 1).join("\n");
}

/** How many characters at the start of `thinking` are the person's words, 0 when it does not start
 * with them (the model's own answers, or a text changed since). */
export function personLength(thinking: string, personThinking: string | null | undefined): number {
  if (!personThinking) return 0;
  const words = personThinking.trimEnd();
  return words && thinking.startsWith(words) ? words.length : 0;
}
