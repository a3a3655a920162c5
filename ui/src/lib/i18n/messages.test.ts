import { describe, expect, it } from "vitest";
import { MESSAGES, t } from "./messages";

describe("messages", () => {
  it("has every key in both languages, with the same placeholders", () => {
    const keys = Object.keys(MESSAGES.en).sort();
    expect(Object.keys(MESSAGES.zh).sort()).toEqual(keys);
    for (const k of keys as (keyof typeof MESSAGES.en)[]) {
      const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(holes(MESSAGES.zh[k])).toEqual(holes(MESSAGES.en[k]));
      expect(MESSAGES.zh[k].length).toBeGreaterThan(0);
    }
  });

  it("fills placeholders", () => {
    expect(t("en", "thinking.done", { seconds: "3.2 s", tokens: "42 tokens" })).toBe("Thought for 3.2 s · 42 tokens");
    expect(t("zh", "tokens.many", { count: 5 })).toBe("5 个词元");
  });
});
