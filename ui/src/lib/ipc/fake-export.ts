// The export in the in-memory backend: counts of what each format would hold, from the fake history.
import type { FakeStore } from "./fake-store";
import type { ExportRequest, ExportSummary } from "./types";

export function fakeExport(
  store: FakeStore,
  request: ExportRequest,
  onProgress: (done: number) => void,
): ExportSummary {
  if (request.formats.length === 0) throw { kind: "invalid", message: "choose at least one format" };
  const chosen = store.rated().filter(({ message, model }) => {
    const r = message.rating;
    if (!r) return false;
    if (request.models.length > 0 && !request.models.includes(model)) return false;
    if (request.vote && r.answer !== request.vote) return false;
    if (request.since_ms !== null && r.updated_at < request.since_ms) return false;
    if (request.until_ms !== null && r.updated_at > request.until_ms) return false;
    return request.tags.every((t) => (r.tags as string[]).includes(t));
  });
  chosen.forEach((_, i) => onProgress(i + 1));
  const up = chosen.filter(({ message }) => message.rating?.answer === "up").length;
  const down = chosen.filter(({ message }) => message.rating?.answer === "down").length;
  const pairs = Math.min(up, down);
  const test = Math.round(chosen.length * request.test_fraction);
  const rows: Record<string, number> = {};
  for (const format of request.formats) {
    const n = format === "dpo" ? pairs : format === "sft" ? up : format === "archive" ? chosen.length : up + down;
    const testRows = Math.min(n, Math.round(n * request.test_fraction));
    rows[`${format}/train.jsonl`] = n - testRows;
    if (test > 0) rows[`${format}/test.jsonl`] = testRows;
  }
  return {
    rows,
    rated: chosen.length,
    up,
    down,
    pairs,
    cross_model_pairs: 0,
    skipped_inline: 0,
    identical_pairs: 0,
    contradictory_kto: 0,
    kto_desirable: up,
    kto_undesirable: down,
    system_prompts: false,
    votes: 0,
    folder: request.folder,
  };
}
