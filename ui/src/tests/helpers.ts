// Helpers for the window tests: the App rendered on a FakeBackend (welcome screen already seen unless
// asked), sending questions, stepping a stream one event at a time, and waiting for it to finish.
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import App from "../App.svelte";
import { type FakeOptions, FakeBackend, type Script } from "../lib/ipc/fake";
import type { AskRequest } from "../lib/ipc/types";

/** A stream that moves only when the test says so. */
export class Gate {
  private waiters: (() => void)[] = [];
  open = false;

  tick = (): Promise<void> => (this.open ? Promise.resolve() : new Promise((r) => this.waiters.push(r)));

  /** Lets `n` events through and waits for them to reach the screen. */
  async step(n = 1): Promise<void> {
    for (let i = 0; i < n; i++) {
      await waitFor(() => expect(this.waiters.length).toBeGreaterThan(0));
      this.waiters.shift()?.();
      await frame();
    }
  }

  /** Lets everything through. */
  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Waits for an animation frame's worth of time (the batcher delivers once per frame). */
export function frame(): Promise<void> {
  return new Promise((r) => setTimeout(r, 25));
}

export interface Setup {
  script?: (request: AskRequest) => Script;
  tick?: () => Promise<void>;
  settings?: Record<string, unknown>;
  options?: FakeOptions;
  backend?: FakeBackend;
}

export function setup(s: Setup = {}) {
  const backend =
    s.backend ?? new FakeBackend(s.script, s.tick, { settings: { seenWelcome: true, ...s.settings }, ...s.options });
  const view = render(App, { backend });
  return { backend, ...view };
}

export async function composer(): Promise<HTMLTextAreaElement> {
  const box = (await screen.findByLabelText("Ask a question")) as HTMLTextAreaElement;
  await waitFor(() => expect(box.disabled).toBe(false));
  return box;
}

/** Types a question and presses Enter. */
export async function ask(text: string): Promise<void> {
  const box = await composer();
  await fireEvent.input(box, { target: { value: text } });
  await fireEvent.keyDown(box, { key: "Enter" });
}

/** Waits until nothing is generating any more (the Send button is back). */
export async function settled(): Promise<void> {
  await waitFor(() => {
    expect(screen.queryByRole("button", { name: "Stop" })).toBeNull();
    expect(document.querySelector('[aria-busy="true"]')).toBeNull();
  });
  await frame();
}

/** The answers on screen. */
export function answers(): HTMLElement[] {
  return Array.from(document.querySelectorAll<HTMLElement>("article.answer"));
}
