// The export view's chart, as numbers: ratings per day (up and down, all models together) laid out as
// paired bars, and per-model totals. The SVG component only draws what this computes.
import type { RatingStats } from "../ipc/types";

export interface DayBar {
  day: string;
  up: number;
  down: number;
  x: number;
  width: number;
  upHeight: number;
  downHeight: number;
}

export interface ModelTotal {
  model: string;
  up: number;
  down: number;
}

/** Totals per day (oldest first), at most `maxDays` of the most recent days. */
export function perDay(stats: RatingStats, maxDays = 30): { day: string; up: number; down: number }[] {
  const days = new Map<string, { day: string; up: number; down: number }>();
  for (const r of stats.days) {
    const d = days.get(r.day) ?? { day: r.day, up: 0, down: 0 };
    d.up += r.up;
    d.down += r.down;
    days.set(r.day, d);
  }
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day)).slice(-maxDays);
}

/** Bars for each day in a `width` × `height` plot: up and down side by side, scaled to the busiest. */
export function dayBars(stats: RatingStats, width: number, height: number, maxDays = 30): DayBar[] {
  const days = perDay(stats, maxDays);
  if (days.length === 0) return [];
  const top = Math.max(1, ...days.map((d) => Math.max(d.up, d.down)));
  const slot = width / days.length;
  const bar = Math.max(1, Math.min(14, (slot - 4) / 2));
  return days.map((d, i) => ({
    ...d,
    x: i * slot + (slot - bar * 2) / 2,
    width: bar,
    upHeight: (d.up / top) * height,
    downHeight: (d.down / top) * height,
  }));
}

/** Up and down per model, most rated first. */
export function perModel(stats: RatingStats): ModelTotal[] {
  const models = new Map<string, ModelTotal>();
  for (const r of stats.days) {
    const m = models.get(r.model) ?? { model: r.model, up: 0, down: 0 };
    m.up += r.up;
    m.down += r.down;
    models.set(r.model, m);
  }
  return [...models.values()].sort((a, b) => b.up + b.down - (a.up + a.down) || a.model.localeCompare(b.model));
}
