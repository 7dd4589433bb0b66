"""The engine process: llama.cpp's own HTTP server for one GGUF model, on a loopback port.

Run by the supervisor as `python -m owlet.providers.local.worker`, never imported by the
API server (native inference must not share its process). Protocol over the pipes:

* stdin, first line: a JSON object with the model's settings and the API key the server
  must present (kept off the command line, which every local user can read);
* stdout, one line once the model is loaded and the port is listening: `{"url": ...}`, or
  `{"error": ...}` if llama.cpp refused the model (then the process exits with status 3);
* stdin at end-of-file: the API server is gone (stopped, crashed or killed with SIGKILL),
  so the engine exits too; no orphan outlives it.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

LOAD_FAILED = 3


def params(config: dict[str, Any]) -> Any:
    """llama.cpp's server parameters for the settings the supervisor sent."""
    import xllamacpp  # the native library; only ever loaded in this process

    p = xllamacpp.CommonParams()
    p.model.path = str(config["model"])
    p.model_alias = {str(config["alias"])}
    p.n_parallel = int(config["parallel"])
    # The context is shared by the slots: each gets LOCAL_MODELS_CONTEXT tokens.
    p.n_ctx = int(config["context"]) * p.n_parallel
    p.port = 0  # the OS picks a free port; the address is reported on stdout
    p.hostnames = ["127.0.0.1"]
    p.api_keys = [str(config["key"])]
    # Every streamed request holds one HTTP thread for its whole answer.
    p.n_threads_http = p.n_parallel + 2
    if int(config.get("threads") or 0) > 0:
        p.cpuparams.n_threads = int(config["threads"])
        p.cpuparams_batch.n_threads = int(config["threads"])
    p.ui = False
    p.endpoint_slots = False
    p.endpoint_props = False
    p.verbosity = int(config.get("verbosity", 0))
    return p


def main() -> None:
    config = json.loads(sys.stdin.readline())
    import xllamacpp

    try:
        server = xllamacpp.Server(params(config))
    except RuntimeError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        os._exit(LOAD_FAILED)
    print(json.dumps({"url": server.listening_address}), flush=True)
    sys.stdin.read()  # blocks until the API server closes the pipe or dies
    os._exit(0)  # llama.cpp's threads need no goodbye


if __name__ == "__main__":
    main()
