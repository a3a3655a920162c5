// The data that crosses between the window and Rust, generated from the Rust types (ts-rs) into
// `generated/`: never written by hand here, so the two sides cannot drift. After changing a Rust type
// that crosses IPC, run `UPDATE_BINDINGS=1 cargo test --workspace --test ipc_bindings`.
export type * from "./generated";
export { DEFAULT_MAX_TOKENS, DEFAULT_REPLY_TIMEOUT_S, MAX_CANDIDATES, MAX_VOTERS, RATING_TAGS } from "./generated";
