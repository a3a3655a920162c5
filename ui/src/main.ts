// Starts the window: picks the backend (Rust inside Tauri, the in-memory fake in a plain browser)
// and mounts the App with it.
import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { createBackend } from "./lib/ipc/index";

export type { AppProps } from "./App.svelte";

const target = document.getElementById("app");
if (target) {
  void createBackend().then((backend) => mount(App, { target, props: { backend } }));
}
