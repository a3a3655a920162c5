// The in-memory history behind FakeBackend: conversations, a message tree with the branch on screen
// (each message remembers its last shown child, like ponder-store), ratings, search with snippets.
import type { RatingDay, RatingStats } from "./types";
import type {
  Conversation,
  ConversationPage,
  Message,
  PageCursor,
  Rating,
  RatingInput,
  SearchField,
  SearchHit,
  SearchQuery,
  SnippetPart,
  Thread,
} from "./types";

/** Characters of context on each side of a match, as in the store. */
const CONTEXT = 32;

function notFound(what: string, id: number): { kind: string; message: string } {
  return { kind: "not_found", message: `${what} ${id} not found` };
}

/** A title from the first question: its first non-empty line, shortened. */
export function titleFrom(question: string): string {
  const line =
    question
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "New conversation";
  return line.length <= 60 ? line : `${line.slice(0, 60).trimEnd()}…`;
}

/** The text around the first of `terms`, every term inside it highlighted (plain text parts). */
export function snippet(text: string, terms: string[]): SnippetPart[] | null {
  const lower = text.toLowerCase();
  const found = terms.map((t) => lower.indexOf(t)).filter((i) => i >= 0);
  if (found.length === 0) return null;
  const at = Math.min(...found);
  const start = Math.max(0, at - CONTEXT);
  const end = Math.min(text.length, at + CONTEXT * 2);
  const parts: SnippetPart[] = [];
  const push = (t: string, highlight: boolean) => {
    const last = parts[parts.length - 1];
    if (last && last.highlight === highlight) last.text += t;
    else if (t) parts.push({ text: t, highlight });
  };
  if (start > 0) push("…", false);
  let i = start;
  while (i < end) {
    const hit = terms.find((t) => t && lower.startsWith(t, i));
    if (hit) {
      push(text.slice(i, i + hit.length), true);
      i += hit.length;
    } else {
      push(text[i] ?? "", false);
      i += 1;
    }
  }
  if (end < text.length) push("…", false);
  return parts;
}

interface StoredConversation extends Conversation {
  deleted: boolean;
  activeRoot: number | null;
}

interface StoredMessage extends Message {
  activeChild: number | null;
  model: string | null;
}

export class FakeStore {
  private conversations = new Map<number, StoredConversation>();
  private messages = new Map<number, StoredMessage>();
  private lastTime = 0;

  constructor(private nextId: () => number) {}

  /** Milliseconds, strictly increasing so "newest first" is well defined. */
  now(): number {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return this.lastTime;
  }

  private conversation(id: number): StoredConversation {
    const c = this.conversations.get(id);
    if (!c || c.deleted) throw notFound("conversation", id);
    return c;
  }

  message(id: number): StoredMessage {
    const m = this.messages.get(id);
    if (!m) throw notFound("message", id);
    return m;
  }

  private touch(conversationId: number): void {
    const c = this.conversations.get(conversationId);
    if (c) c.updated_at = this.now();
  }

  startConversation(question: string): number {
    const id = this.nextId();
    const t = this.now();
    this.conversations.set(id, {
      id,
      title: titleFrom(question),
      title_is_custom: false,
      created_at: t,
      updated_at: t,
      deleted: false,
      activeRoot: null,
    });
    return id;
  }

  /** Adds a message and puts it on the branch on screen. */
  add(
    conversationId: number,
    parentId: number | null,
    role: "user" | "assistant",
    content: string,
    model: string | null = null,
  ): StoredMessage {
    this.conversation(conversationId);
    if (parentId !== null && this.message(parentId).conversation_id !== conversationId) {
      throw { kind: "invalid", message: "the parent is in another conversation" };
    }
    const t = this.now();
    const m: StoredMessage = {
      id: this.nextId(),
      conversation_id: conversationId,
      parent_id: parentId,
      role,
      content,
      thinking: null,
      status: role === "user" ? "complete" : "generating",
      created_at: t,
      updated_at: t,
      rating: null,
      generation: null,
      activeChild: null,
      model,
    };
    this.messages.set(m.id, m);
    this.setActive(m.id);
    this.touch(conversationId);
    return m;
  }

  private votes = 0;

  /** Tallies a vote's chains by their last number (else their text) as the real store keeps it, and
   * shows the majority's first chain. */
  recordVote(chains: StoredMessage[]): void {
    const keyOf = (m: StoredMessage) => {
      const numbers = m.content.match(/-?\d+/g);
      return numbers ? (numbers[numbers.length - 1] ?? null) : m.content.trim().toLowerCase() || null;
    };
    const counts = new Map<string, number>();
    for (const m of chains) {
      const k = keyOf(m);
      if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    const [best, second] = sorted;
    const result = !best ? "no_answer" : second && second[1] === best[1] ? "tie" : "majority";
    const winner = result === "majority" && best ? best[0] : null;
    const voteId = ++this.votes;
    chains.forEach((m, position) => {
      const key = keyOf(m);
      m.vote = {
        vote_id: voteId,
        position,
        chains: chains.length,
        result,
        agreeing: best?.[1] ?? 0,
        answer: key,
        answer_key: key,
        with_majority: key !== null && key === winner,
      };
    });
    const shown = chains.find((m) => m.vote?.with_majority) ?? chains[0];
    if (shown) this.setActive(shown.id);
  }

  /** Shows `id`'s branch: each ancestor's active child becomes the next one down. */
  setActive(id: number): number[] {
    let child = this.message(id);
    for (;;) {
      if (child.parent_id === null) {
        this.conversation(child.conversation_id).activeRoot = child.id;
        break;
      }
      const parent = this.message(child.parent_id);
      parent.activeChild = child.id;
      child = parent;
    }
    return this.thread(child.conversation_id).active_path;
  }

  thread(conversationId: number): Thread {
    const c = this.conversation(conversationId);
    const all = [...this.messages.values()]
      .filter((m) => m.conversation_id === conversationId)
      .sort((a, b) => a.id - b.id);
    const children = (parent: number | null) => all.filter((m) => m.parent_id === parent);
    const path: number[] = [];
    let next = all.find((m) => m.id === c.activeRoot) ?? children(null).at(-1);
    while (next) {
      const current: StoredMessage = next;
      path.push(current.id);
      const kids = children(current.id);
      next = kids.find((m) => m.id === current.activeChild) ?? kids.at(-1);
    }
    const { deleted: _d, activeRoot: _r, ...conversation } = c;
    const messages = all.map(({ activeChild: _a, model: _m, ...m }) => ({
      ...m,
      rating: m.rating ? { ...m.rating } : null,
    }));
    return { conversation, messages, active_path: path };
  }

  listConversations(limit: number, after: PageCursor | null): ConversationPage {
    const visible = [...this.conversations.values()]
      .filter((c) => !c.deleted)
      .filter(
        (c) => !after || c.updated_at < after.updated_at || (c.updated_at === after.updated_at && c.id < after.id),
      )
      .sort((a, b) => b.updated_at - a.updated_at || b.id - a.id);
    const items = visible.slice(0, limit).map(({ deleted: _d, activeRoot: _r, ...c }) => c);
    const last = items[items.length - 1];
    const next = visible.length > limit && last ? { updated_at: last.updated_at, id: last.id } : null;
    return { items, next };
  }

  rename(id: number, title: string): void {
    if (!title.trim()) throw { kind: "invalid", message: "a title cannot be empty" };
    const c = this.conversation(id);
    c.title = title.trim();
    c.title_is_custom = true;
  }

  setDeleted(id: number, deleted: boolean): void {
    const c = this.conversations.get(id);
    if (!c) throw notFound("conversation", id);
    c.deleted = deleted;
  }

  search(query: SearchQuery): SearchHit[] {
    const terms = query.text
      .toLowerCase()
      .split(/\s+/)
      .filter((t) => t !== "");
    if (terms.length === 0) return [];
    const every = (text: string) => terms.every((t) => text.toLowerCase().includes(t));
    const hits: SearchHit[] = [];
    const live = [...this.conversations.values()].filter((c) => !c.deleted);
    for (const c of live.sort((a, b) => b.updated_at - a.updated_at)) {
      if (every(c.title)) {
        hits.push({
          conversation_id: c.id,
          conversation_title: c.title,
          message_id: null,
          field: "title",
          snippet: snippet(c.title, terms) ?? [],
        });
      }
    }
    const messages = [...this.messages.values()].filter(
      (m) => this.conversations.get(m.conversation_id)?.deleted === false,
    );
    for (const m of messages.sort((a, b) => b.id - a.id)) {
      const fields: [SearchField, string | null][] = [
        [m.role === "user" ? "question" : "answer", m.content],
        ["thinking", query.include_thinking && m.role === "assistant" ? m.thinking : null],
      ];
      for (const [field, text] of fields) {
        if (text && every(text)) {
          const title = this.conversations.get(m.conversation_id)?.title ?? "";
          hits.push({
            conversation_id: m.conversation_id,
            conversation_title: title,
            message_id: m.id,
            field,
            snippet: snippet(text, terms) ?? [],
          });
          break;
        }
      }
    }
    return hits.slice(0, query.limit);
  }

  rate(answerId: number, input: RatingInput): Rating {
    const m = this.message(answerId);
    if (m.role !== "assistant") throw { kind: "invalid", message: "only answers can be rated" };
    if (input.answer === null && input.reasoning === null && input.corrected_answer === null) {
      throw { kind: "invalid", message: "a rating needs a vote or a better answer" };
    }
    const t = this.now();
    m.rating = { ...input, tags: [...input.tags], created_at: m.rating?.created_at ?? t, updated_at: t };
    return { ...m.rating };
  }

  clearRating(answerId: number): void {
    this.message(answerId).rating = null;
  }

  /** Rated answers (of conversations not deleted), with the model that wrote them. */
  rated(): { message: Message; model: string }[] {
    return [...this.messages.values()]
      .filter((m) => m.rating !== null && this.conversations.get(m.conversation_id)?.deleted === false)
      .map((m) => ({ message: m, model: m.model ?? "unknown" }));
  }

  ratingStats(): RatingStats {
    const days = new Map<string, RatingDay>();
    let up = 0;
    let down = 0;
    for (const { message, model } of this.rated()) {
      const vote = message.rating?.answer;
      if (!vote) continue;
      const day = new Date(message.rating?.updated_at ?? 0).toISOString().slice(0, 10);
      const key = `${day}\u0000${model}`;
      const row = days.get(key) ?? { day, model, up: 0, down: 0 };
      row[vote] += 1;
      if (vote === "up") up += 1;
      else down += 1;
      days.set(key, row);
    }
    const rows = [...days.values()].sort((a, b) => a.day.localeCompare(b.day) || a.model.localeCompare(b.model));
    return { days: rows, up, down, models: [...new Set(rows.map((r) => r.model))].sort() };
  }
}
