// Keyboard shortcuts: Ctrl/Cmd+N new chat, Ctrl/Cmd+K or Ctrl/Cmd+F search, Escape stops generating,
// Ctrl/Cmd+R or Ctrl/Cmd+Shift+R regenerates the last answer (the webview would otherwise reload).

export type Shortcut = "new_chat" | "search" | "stop" | "regenerate";

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function shortcutFor(e: KeyLike): Shortcut | null {
  if (e.key === "Escape" && !e.ctrlKey && !e.metaKey && !e.altKey) return "stop";
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  const key = e.key.toLowerCase();
  if (key === "n" && !e.shiftKey) return "new_chat";
  if ((key === "k" || key === "f") && !e.shiftKey) return "search";
  if (key === "r") return "regenerate";
  return null;
}
