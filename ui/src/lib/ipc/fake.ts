// An in-memory backend for UI tests and for running the window without Rust: it "thinks" and
// "answers" scripted text, in batches, like the real one.
import type { Backend, RunningAnswer } from "./backend";
import type { AnswerEvent, AskRequest } from "./types";

export interface Script {
  thinking: string[];
  answer: string[];
}

export class FakeBackend implements Backend {
  private nextId = 1;
  readonly asked: AskRequest[] = [];

  constructor(
    private script: (request: AskRequest) => Script = () => ({ thinking: ["Let me think."], answer: ["42"] }),
    private tick: () => Promise<void> = () => Promise.resolve(),
  ) {}

  async ask(request: AskRequest, onEvents: (events: AnswerEvent[]) => void): Promise<RunningAnswer> {
    this.asked.push(request);
    const conversationId = request.conversation_id ?? this.nextId++;
    const answerId = this.nextId++;
    const { thinking, answer } = this.script(request);
    let stopped = false;
    const emit = (event: AnswerEvent["event"]) => onEvents([{ candidate: 0, answer_id: answerId, event }]);
    const run = async () => {
      for (const t of request.thinking ? thinking : []) {
        await this.tick();
        if (stopped) return emit({ type: "finished", data: "cancelled" });
        emit({ type: "thinking", data: t });
      }
      for (const a of answer) {
        await this.tick();
        if (stopped) return emit({ type: "finished", data: "cancelled" });
        emit({ type: "answer", data: a });
      }
      const usage = {
        prompt_tokens: 10,
        thinking_tokens: request.thinking ? thinking.length : 0,
        answer_tokens: answer.length,
        time_to_first_token_ms: 5,
        tokens_per_second: 100,
      };
      emit({ type: "usage", data: usage });
      emit({ type: "finished", data: "stop" });
    };
    const done = run();
    return {
      conversationId,
      stop: async () => {
        stopped = true;
      },
      done,
    };
  }
}
