// The window's words in English and Simplified Chinese. Every key exists in both (a test checks).

export type Language = "en" | "zh";

const en = {
  "composer.placeholder": "Ask anything",
  "composer.send": "Send",
  "composer.stop": "Stop",
  "composer.thinking": "Think first",
  "thinking.waiting": "Waiting…",
  "thinking.running": "Thinking… {seconds}",
  "thinking.done": "Thought for {seconds} · {tokens}",
  "tokens.one": "1 token",
  "tokens.many": "{count} tokens",
  "answer.copy": "Copy",
  "answer.regenerate": "Regenerate",
  "answer.rate_up": "Good answer",
  "answer.rate_down": "Bad answer",
  "answer.better": "Write a better answer",
  "sidebar.new_chat": "New chat",
  "sidebar.search": "Search conversations",
  "sidebar.deleted": "Conversation deleted",
  "sidebar.undo": "Undo",
  "tag.correct": "Correct",
  "tag.wrong_answer": "Wrong answer",
  "tag.flawed_reasoning": "Flawed reasoning",
  "tag.too_long": "Too long",
  "tag.unhelpful": "Unhelpful",
  "tag.unsafe": "Unsafe",
  "first_run.bundled": "Ponder comes with ponder-tiny, a small model of our own that works through arithmetic step by step, so it works offline right away; pick a real Qwen model in Settings.",
} as const;

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  "composer.placeholder": "想问什么都可以",
  "composer.send": "发送",
  "composer.stop": "停止",
  "composer.thinking": "先思考",
  "thinking.waiting": "等待中…",
  "thinking.running": "思考中… {seconds}",
  "thinking.done": "已思考 {seconds} · {tokens}",
  "tokens.one": "1 个词元",
  "tokens.many": "{count} 个词元",
  "answer.copy": "复制",
  "answer.regenerate": "重新生成",
  "answer.rate_up": "好回答",
  "answer.rate_down": "差回答",
  "answer.better": "写一个更好的回答",
  "sidebar.new_chat": "新对话",
  "sidebar.search": "搜索对话",
  "sidebar.deleted": "对话已删除",
  "sidebar.undo": "撤销",
  "tag.correct": "正确",
  "tag.wrong_answer": "答案错误",
  "tag.flawed_reasoning": "推理有误",
  "tag.too_long": "太长",
  "tag.unhelpful": "没有帮助",
  "tag.unsafe": "不安全",
  "first_run.bundled": "Ponder 自带 ponder-tiny：我们自己训练的小模型，会一步一步地算算术，离线即可使用；可在设置中换成真正的 Qwen 模型。",
};

export const MESSAGES: Record<Language, Record<MessageKey, string>> = { en, zh };

/** The text for `key` in `language`, with `{name}` placeholders filled in. */
export function t(language: Language, key: MessageKey, values: Record<string, string | number> = {}): string {
  return MESSAGES[language][key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? `{${name}}`));
}
