"""llama.cpp (xllamacpp, PyPI) as a peer engine for Ponder's tests and benchmarks.

Reads one JSON request on stdin and prints one JSON reply on stdout (llama.cpp's own log goes to stderr).
  {"mode": "greedy", "model": GGUF, "prompts": [[token ids]...], "n_predict": N, "threads": T?}
      -> {"texts": [...], "steps": [...], "timings": [...]}: each prompt's greedy continuation, exactly
      N tokens, and at each step the five most likely tokens (bytes and log-probability, best first).
  {"mode": "bench", "model": GGUF, "prompts": [[token ids]...], "n_predict": N, "runs": R}
      -> {"runs": [[timings per run] per prompt], "peak_rss_bytes": B}: llama.cpp's own timings of R
      greedy runs of each prompt after one short warm-up, and the process's peak memory.
"""
import json
import os
import resource
import sys

import xllamacpp as xlc


def server(model, n_ctx, threads):
    params = xlc.CommonParams()
    params.model.path = model
    params.n_ctx = n_ctx
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    return xlc.Server(params)


def greedy(req):
    longest = max(len(p) for p in req["prompts"])
    srv = server(req["model"], longest + req["n_predict"] + 16, req.get("threads", os.cpu_count()))
    texts, steps, timings = [], [], []
    for prompt in req["prompts"]:
        reply = srv.handle_completions({
            "prompt": prompt,
            "n_predict": req["n_predict"],
            "temperature": 0.0,
            "top_k": 1,
            "cache_prompt": False,
            # Exactly n_predict tokens, as the other engine is asked for: no stop at an end token.
            "ignore_eos": True,
            "n_probs": 5,
        })
        if "error" in reply:
            raise SystemExit(f"llama.cpp refused the request: {reply['error']}")
        choice = reply["choices"][0]
        texts.append(choice["text"])
        steps.append([
            [{"bytes": t["bytes"], "logprob": t["logprob"]} for t in position["top_logprobs"]]
            for position in choice["logprobs"]["content"]
        ])
        timings.append(reply["timings"])
    return {"texts": texts, "steps": steps, "timings": timings}


def bench(req):
    longest = max(len(p) for p in req["prompts"])
    srv = server(req["model"], longest + req["n_predict"] + 16, req.get("threads", os.cpu_count()))
    runs = []
    for prompt in req["prompts"]:
        ask = lambda n: srv.handle_completions({
            "prompt": prompt, "n_predict": n, "temperature": 0.0, "top_k": 1,
            "cache_prompt": False, "ignore_eos": True,
        })
        ask(8)
        runs.append([ask(req["n_predict"])["timings"] for _ in range(req.get("runs", 1))])
    return {"runs": runs, "peak_rss_bytes": peak_rss_bytes()}


def reset_peak():
    """Linux keeps ru_maxrss across execve, so a child started by a big process would report the
    parent's peak: the high-water mark is reset at start instead (as the Rust side does)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main():
    reset_peak()
    req = json.load(sys.stdin)
    modes = {"greedy": greedy, "bench": bench}
    if req.get("mode") not in modes:
        raise SystemExit(f"unknown mode {req.get('mode')!r}; known: {sorted(modes)}")
    json.dump(modes[req["mode"]](req), sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
