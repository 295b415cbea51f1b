# The README's two commands: `make dashboard` and `make test`.
# Both create .venv when it is missing, with a Python >= 3.12 (Mesa 3.5 needs it).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: dashboard test bench check lint browser clean

$(PY):
	@py=""; for c in python3 python3.13 python3.12; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "error: this project needs Python >= 3.12 (Mesa 3.5); tried python3, python3.13, python3.12 and none is >= 3.12. Install one (e.g. 'pyenv install 3.12') and retry." >&2; exit 2; \
	fi; \
	echo "creating $(VENV) with $$py ($$($$py --version))"; \
	$$py -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

dashboard: $(STAMP)
	$(VENV)/bin/sim dashboard

# The import rule (lint-imports: layers, no Streamlit in sim), ruff, the tests, then every
# scenario file's expectations (the patterns the model must keep showing).
test: $(STAMP) browser
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check
	$(PY) -m pytest
	$(VENV)/bin/sim check scenarios/ --workers 2

# Debian's chromium for the real-browser test (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium"; \
	  else echo "warning: chromium missing and not root: install Debian's 'chromium' package"; fi; }

check: $(STAMP)
	$(VENV)/bin/sim check scenarios/

bench: $(STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check

clean:
	rm -rf $(VENV)
