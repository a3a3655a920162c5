// Streaming in the in-memory backend: a scripted answer's events, one per tick of the backend's clock,
// saved into the fake history as the real one saves them (a fix's thinking starts with the person's words).
import type { Script } from "./fake";
import type { FakeStore } from "./fake-store";
import type { RunningAnswer } from "./backend";
import { MAX_CANDIDATES } from "./types";
import type { AnswerEvent, AnswerOptions, FinishReason, GenerationOutcome } from "./types";

/** What the store keeps of a finished generation (a pretend 1.5 s of thinking). */
function outcome(thinking: number, answer: number, reason: FinishReason): GenerationOutcome {
  const finish = typeof reason === "object" ? "error" : reason;
  return {
    prompt_tokens: 10,
    thinking_tokens: thinking,
    answer_tokens: answer,
    time_to_first_token_ms: 5,
    thinking_ms: thinking > 0 ? 1500 : null,
    total_ms: 2000,
    finish_reason: finish,
    error: typeof reason === "object" ? reason.error : null,
  };
}

export function fakeStream(
  store: FakeStore,
  tick: () => Promise<void>,
  conversationId: number,
  questionId: number,
  options: AnswerOptions,
  script: Script,
  model: string,
  onEvents: (events: AnswerEvent[]) => void,
  fix: { from: number; person_thinking: string } | null = null,
): RunningAnswer {
  const count = Math.max(1, Math.min(MAX_CANDIDATES, options.candidates));
  const answers = Array.from({ length: count }, () => store.add(conversationId, questionId, "assistant", "", model));
  // As the store keeps a fix: the thinking starts with the person's words; events carry the model's.
  if (fix)
    for (const m of answers) {
      m.fixed = fix;
      m.thinking = fix.person_thinking;
    }
  const first = answers[0];
  if (first) store.setActive(first.id);
  const thinking = options.thinking ? script.thinking : [];
  const steps: AnswerEvent["event"][] = [
    ...thinking.map((data) => ({ type: "thinking" as const, data })),
    ...script.answer.map((data) => ({ type: "answer" as const, data })),
  ];
  let stopped = false;
  const finish = (reason: FinishReason) => {
    for (const m of answers) {
      m.status = reason === "stop" || reason === "length" ? "complete" : reason === "cancelled" ? "stopped" : "failed";
      m.updated_at = store.now();
      m.generation = {
        settings: {
          model: {
            id: m.model ?? "ponder-tiny",
            path: null,
            file_hash: null,
            architecture: "qwen3",
            quantization: null,
            device: "cpu",
          },
          sampling: { temperature: 0.6 },
          thinking_enabled: thinking.length > 0,
          thinking_budget: null,
          app_version: "0.1.0",
        },
        outcome: outcome(thinking.length, script.answer.length, reason),
      };
    }
    onEvents(
      answers.map((m, candidate) => ({ candidate, answer_id: m.id, event: { type: "finished", data: reason } })),
    );
  };
  const run = async () => {
    for (const step of steps) {
      await tick();
      if (stopped) return finish("cancelled");
      for (const m of answers) {
        if (step.type === "thinking") m.thinking = (m.thinking ?? "") + step.data;
        else if (step.type === "answer") m.content += step.data;
      }
      onEvents(answers.map((m, candidate) => ({ candidate, answer_id: m.id, event: step })));
    }
    const usage = {
      prompt_tokens: 10,
      thinking_tokens: thinking.length,
      answer_tokens: script.answer.length,
      time_to_first_token_ms: 5,
      tokens_per_second: 100,
    };
    onEvents(answers.map((m, candidate) => ({ candidate, answer_id: m.id, event: { type: "usage", data: usage } })));
    finish(script.error ? { error: script.error } : "stop");
  };
  const done = run();
  return {
    conversationId,
    questionId,
    stop: async () => {
      stopped = true;
    },
    done,
  };
}
