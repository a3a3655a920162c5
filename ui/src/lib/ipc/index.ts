// Picks the backend the window talks to: Rust over Tauri IPC inside the app, the in-memory fake in a
// plain browser (e.g. `npm run dev`), so the UI runs either way.
import type { Backend } from "./backend";
import { FakeBackend } from "./fake";

export async function createBackend(): Promise<Backend> {
  if (!("__TAURI_INTERNALS__" in window)) return new FakeBackend();
  const { TauriBackend } = await import("./tauri");
  return new TauriBackend();
}
