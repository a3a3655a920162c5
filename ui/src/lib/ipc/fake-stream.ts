// Streaming in the in-memory backend: a scripted answer's events, one per tick of the backend's clock,
// saved into the fake history as the real one saves them (a fix's thinking starts with the person's words).
import type { Script } from "./fake";
import type { FakeStore } from "./fake-store";
import type { RunningAnswer } from "./backend";
import { MAX_CANDIDATES, MAX_VOTERS } from "./types";
import type { AnswerEvent, AnswerOptions, FinishReason, GenerationOutcome } from "./types";

/** What the store keeps of a finished generation (a pretend 1.5 s of thinking). */
function outcome(thinking: number, answer: number, reason: FinishReason): GenerationOutcome {
  const finish = typeof reason === "object" ? ("looped" in reason ? "looped" : "error") : reason;
  return {
    prompt_tokens: 10,
    thinking_tokens: thinking,
    answer_tokens: answer,
    time_to_first_token_ms: 5,
    thinking_ms: thinking > 0 ? 1500 : null,
    total_ms: 2000,
    finish_reason: finish,
    error: typeof reason === "object" && "error" in reason ? reason.error : null,
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
  const count = options.vote
    ? Math.max(2, Math.min(MAX_VOTERS, options.vote))
    : Math.max(1, Math.min(MAX_CANDIDATES, options.candidates));
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
      const events: AnswerEvent[] = [];
      answers.forEach((m, candidate) => {
        let event = step;
        const own = script.chainAnswers;
        if (step.type === "answer" && own?.length) {
          // Each chain writes its own whole answer at the first answer step, nothing after.
          const first = steps.find((s) => s.type === "answer") === step;
          event = { type: "answer", data: first ? (own[candidate % own.length] ?? "") : "" };
        }
        if (event.type === "thinking") m.thinking = (m.thinking ?? "") + event.data;
        else if (event.type === "answer") m.content += event.data;
        events.push({ candidate, answer_id: m.id, event });
      });
      onEvents(events);
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
    if (options.vote) store.recordVote(answers);
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
