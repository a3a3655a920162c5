// Turns whatever a rejected call threw into the `{kind, message}` the window shows, so a bug in the
// glue (a plain Error, a string) still reaches the person as a readable message.
import type { ErrorBody, ErrorKind } from "../ipc/types";

export function errorOf(e: unknown): ErrorBody {
  if (e && typeof e === "object") {
    const o = e as Record<string, unknown>;
    if (typeof o.message === "string")
      // Rust only sends kinds of the generated `ErrorKind`; anything else is a failure of the glue.
      return { kind: typeof o.kind === "string" ? (o.kind as ErrorKind) : "internal", message: o.message };
  }
  if (typeof e === "string") return { kind: "internal", message: e };
  return { kind: "internal", message: String(e) };
}
