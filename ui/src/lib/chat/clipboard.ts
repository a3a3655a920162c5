// Copying text (answers, code blocks): the Clipboard API where the webview allows it, else (missing
// or refused, as some webviews do) a hidden textarea and execCommand("copy").
function copyWithTextarea(text: string): void {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  try {
    if (typeof document.execCommand !== "function" || !document.execCommand("copy")) {
      throw { kind: "clipboard", message: "Copying to the clipboard is not allowed here." };
    }
  } finally {
    area.remove();
  }
}

export async function copyText(text: string): Promise<void> {
  if (typeof navigator !== "undefined" && navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Refused: try the older way below.
    }
  }
  copyWithTextarea(text);
}
