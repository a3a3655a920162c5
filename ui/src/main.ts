import { mount } from "svelte";
import App from "./App.svelte";
import { FakeBackend } from "./lib/ipc/fake";

// The Tauri backend is wired in by the app shell; without it (a plain browser) the window runs on the fake.
const target = document.getElementById("app");
if (target) mount(App, { target, props: { backend: new FakeBackend() } });
