// Turns whatever a rejected call threw into the `{kind, message}` the window shows, so a bug in the
// glue (a plain Error, a string) still reaches the person as a readable message.
import type { IpcError } from "../ipc/types";

export function errorOf(e: unknown): IpcError {
  if (e && typeof e === "object") {
    const o = e as Record<string, unknown>;
    if (typeof o.message === "string") return { kind: typeof o.kind === "string" ? o.kind : "error", message: o.message };
  }
  if (typeof e === "string") return { kind: "error", message: e };
  return { kind: "error", message: String(e) };
}
