// Words for the model section: the status line ("Ready: ponder-tiny on cpu", "Loading…", "Failed: …")
// and sizes in B/KB/MB/GB.
import type { MessageKey } from "../../lib/i18n/messages";
import type { ModelStatus } from "../../lib/ipc/types";

type T = (key: MessageKey, values?: Record<string, string | number>) => string;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function statusLine(status: ModelStatus, t: T): string {
  switch (status.state) {
    case "empty":
      return t("model.status.empty");
    case "loading":
      return t("model.status.loading");
    case "ready": {
      const info = status.info;
      const parts = [t("model.status.ready", { id: info.name, device: info.device })];
      if (info.quantization)
        parts.push(
          info.quantization_automatic ? t("model.chosen.auto", { format: info.quantization }) : info.quantization,
        );
      if (info.device === "cpu") parts.push(t("model.chosen.threads", { threads: info.threads }));
      if (info.context_tokens !== null)
        parts.push(t("model.chosen.context", { tokens: info.context_tokens.toLocaleString("en-US") }));
      return parts.join(" · ");
    }
    case "failed":
      return t("model.status.failed", { message: status.message });
  }
}
