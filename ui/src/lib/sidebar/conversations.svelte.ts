// The sidebar's conversation list: newest first, a page at a time (store cursors), reloaded after
// changes without losing the pages already shown.
import type { Backend } from "../ipc/backend";
import type { Conversation, PageCursor } from "../ipc/types";

export const PAGE = 30;

export class ConversationList {
  items: Conversation[] = $state([]);
  next: PageCursor | null = $state(null);
  loading = $state(false);

  constructor(
    private backend: Backend,
    private fail: (e: unknown) => void,
  ) {}

  /** Reads the first pages again, as many items as are shown now (at least one page). */
  async reload(): Promise<void> {
    this.loading = true;
    try {
      const page = await this.backend.listConversations(Math.max(PAGE, this.items.length), null);
      this.items = page.items;
      this.next = page.next;
    } catch (e) {
      this.fail(e);
    } finally {
      this.loading = false;
    }
  }

  /** Appends the next page. */
  async more(): Promise<void> {
    if (!this.next || this.loading) return;
    this.loading = true;
    try {
      const page = await this.backend.listConversations(PAGE, this.next);
      const known = new Set(this.items.map((c) => c.id));
      this.items = [...this.items, ...page.items.filter((c) => !known.has(c.id))];
      this.next = page.next;
    } catch (e) {
      this.fail(e);
    } finally {
      this.loading = false;
    }
  }

  async rename(id: number, title: string): Promise<boolean> {
    try {
      await this.backend.renameConversation(id, title);
      this.items = this.items.map((c) => (c.id === id ? { ...c, title, title_is_custom: true } : c));
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  /** Hides a conversation; returns whether it worked (then `restore` can undo it). */
  async remove(id: number): Promise<boolean> {
    try {
      await this.backend.deleteConversation(id);
      this.items = this.items.filter((c) => c.id !== id);
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  async restore(id: number): Promise<void> {
    try {
      await this.backend.restoreConversation(id);
    } catch (e) {
      this.fail(e);
    }
    await this.reload();
  }
}
