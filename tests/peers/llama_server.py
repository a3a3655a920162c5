"""llama.cpp's own server (xllamacpp, PyPI) on 127.0.0.1, for the served-model tests.

Usage: llama_server.py MODEL.gguf PORT. Serves MODEL with its chat template (Jinja) and llama.cpp's
reasoning parser (thinking as `reasoning_content`), prints one JSON line {"url": ...} once it listens,
and serves until stdin closes (the test ending closes it).
"""
import json
import sys

import xllamacpp as xlc


def main():
    model, port = sys.argv[1], int(sys.argv[2])
    params = xlc.CommonParams()
    params.model.path = model
    params.n_ctx = 2048
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.use_jinja = True
    params.reasoning_format = xlc.common_reasoning_format.COMMON_REASONING_FORMAT_DEEPSEEK
    params.port = port
    server = xlc.Server(params)
    print(json.dumps({"url": server.listening_address}), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
