// Branch navigation: "2 / 3" under a regenerated answer or an edited question, and the branch shown
// when moving to a sibling (the store remembers the last child shown under each message).
import type { Message, Thread } from "../ipc/types";

export interface BranchPosition {
  /** 1-based position among the siblings. */
  index: number;
  count: number;
  previous: number | null;
  next: number | null;
}

/** Messages sharing `id`'s parent, oldest first (including `id`). */
export function siblings(thread: Thread, id: number): Message[] {
  const me = thread.messages.find((m) => m.id === id);
  if (!me) return [];
  return thread.messages.filter((m) => m.parent_id === me.parent_id).sort((a, b) => a.id - b.id);
}

/** Where `id` is among its siblings, and which sibling is before and after it. */
export function position(thread: Thread, id: number): BranchPosition {
  const all = siblings(thread, id);
  const i = all.findIndex((m) => m.id === id);
  return {
    index: i + 1,
    count: all.length,
    previous: i > 0 ? (all[i - 1]?.id ?? null) : null,
    next: i >= 0 && i < all.length - 1 ? (all[i + 1]?.id ?? null) : null,
  };
}

/** The messages on screen, in order. */
export function activeMessages(thread: Thread): Message[] {
  const byId = new Map(thread.messages.map((m) => [m.id, m]));
  return thread.active_path.map((id) => byId.get(id)).filter((m): m is Message => m !== undefined);
}
