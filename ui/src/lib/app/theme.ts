// Applies the theme setting to the page: light or dark as chosen, or following the system's
// prefers-color-scheme (and its changes) for "system". Returns a function that stops following.
import type { Settings } from "../settings/settings";

export function applyTheme(theme: Settings["theme"], root: HTMLElement = document.documentElement): () => void {
  const query = typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  const set = () => {
    const dark = theme === "dark" || (theme === "system" && query?.matches === true);
    root.dataset.theme = dark ? "dark" : "light";
  };
  set();
  if (theme !== "system" || !query) return () => {};
  query.addEventListener("change", set);
  return () => query.removeEventListener("change", set);
}
