// The export form's state and the request it makes: dates become the start of the "since" day and
// the end of the "until" day (local time), the test fraction is clamped to 0–0.5.
import type { ExportFormat, ExportRequest, RatingTag, ReasoningStyle } from "../ipc/types";

export const FORMATS: ExportFormat[] = ["kto", "dpo", "sft", "archive", "llama_factory", "open_ai", "grpo", "votes"];
export const REASONING: ReasoningStyle[] = ["inline", "separate", "stripped"];

export interface ExportForm {
  folder: string;
  formats: ExportFormat[];
  reasoning: ReasoningStyle;
  models: string[];
  vote: "any" | "up" | "down";
  since: string;
  until: string;
  tags: RatingTag[];
  testFraction: number;
  /** Also write TRL's training kit (a script and accelerate configs). */
  trlKit: boolean;
}

export function defaultForm(): ExportForm {
  return {
    folder: "",
    formats: ["kto", "dpo", "sft"],
    reasoning: "separate",
    models: [],
    vote: "any",
    since: "",
    until: "",
    tags: [],
    testFraction: 0.1,
    trlKit: false,
  };
}

function dayStart(date: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d).getTime();
}

export function toRequest(form: ExportForm): ExportRequest {
  const since = dayStart(form.since);
  const untilStart = dayStart(form.until);
  const fraction = Number.isFinite(form.testFraction) ? Math.min(0.5, Math.max(0, form.testFraction)) : 0;
  return {
    folder: form.folder,
    formats: FORMATS.filter((f) => form.formats.includes(f)),
    reasoning: form.reasoning,
    models: [...form.models],
    since_ms: since,
    until_ms: untilStart === null ? null : untilStart + 24 * 60 * 60 * 1000 - 1,
    vote: form.vote === "any" ? null : form.vote,
    tags: [...form.tags],
    test_fraction: fraction,
    trainer: form.trlKit ? "trl" : null,
  };
}
