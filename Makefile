# The README's two commands: `make dashboard` and `make test`.
# Both create .venv when it is missing, with a Python >= 3.12 (Mesa 3.5 needs it).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
DASH_STAMP := $(VENV)/.installed-dashboard
# Installs come from the lock files (exact versions, resolved once: `make lock`) through uv,
# which lives beside the environment, not in it (a sync would remove it otherwise).
UV_VERSION := 0.13.9
UV_DIR := $(VENV)/.uv
UV := $(UV_DIR)/bin/uv
# --compile-bytecode: a fresh environment ships its .pyc files; where PYTHONDONTWRITEBYTECODE is
# set (as on this workplace) Python would otherwise recompile pandas, mesa and scipy in every
# process (import sim.experiment.runner 4 s instead of 1.2 s; workers and `sim run` alike).
SYNC = $(UV) pip sync --quiet --compile-bytecode --python $(PY)
# The project's own modules get their .pyc too (the sync compiles only site-packages): with
# PYTHONDONTWRITEBYTECODE set, every `sim` process and dashboard worker otherwise compiles the
# ~55 modules a `sim run` imports (~0.1 s). A file edited later is recompiled in memory as usual.
EDITABLE = $(UV) pip install --quiet --python $(PY) --no-deps -e . && $(PY) -m compileall -q sim dashboard

.PHONY: dashboard test bench check lint browser clean lock

$(PY):
	@py=""; for c in python3 python3.13 python3.12; do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "error: this project needs Python >= 3.12 (Mesa 3.5); tried python3, python3.13, python3.12 and none is >= 3.12. Install one (e.g. 'pyenv install 3.12') and retry." >&2; exit 2; \
	fi; \
	echo "creating $(VENV) with $$py ($$($$py --version))"; \
	$$py -m venv $(VENV)

$(UV): | $(PY)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --default-pip >/dev/null
	$(PY) -m pip install --quiet --disable-pip-version-check --target $(UV_DIR) uv==$(UV_VERSION)

# The dashboard's libraries only (no test tools); a dev environment already has them all.
$(DASH_STAMP): requirements/dashboard.lock pyproject.toml | $(UV)
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt requirements/dev.lock ]; then \
	  echo "the dev environment already has the dashboard's libraries"; \
	else \
	  $(SYNC) requirements/dashboard.lock && $(EDITABLE); \
	fi
	@touch $(DASH_STAMP)

# Everything `make test` needs: the dashboard's libraries plus the dev tools.
$(STAMP): requirements/dev.lock pyproject.toml | $(UV)
	$(SYNC) requirements/dev.lock
	$(EDITABLE)
	@touch $(STAMP) $(DASH_STAMP)

dashboard: $(DASH_STAMP)
	$(VENV)/bin/sim dashboard

# Re-resolve the lock files from pyproject.toml (then commit them). UPGRADE=1 takes the newest
# versions allowed; otherwise the versions installed now are kept where they still fit.
lock: | $(UV)
	$(UV) pip freeze --python $(PY) --exclude-editable > $(VENV)/installed.txt
	for extra in dashboard dev; do \
	  $(UV) pip compile pyproject.toml --quiet --extra $$extra --python-version 3.12 --no-header \
	    --annotation-style line $(if $(UPGRADE),,--constraint $(VENV)/installed.txt) \
	    -o requirements/$$extra.lock && \
	  sed -i -E 's#, -c [^ ]*installed.txt##; s#via -c [^ ]*installed.txt, #via #; s#  +\# via -c [^ ]*installed.txt$$##' requirements/$$extra.lock; \
	done

# The Python sources `ruff format --check` keeps formatted (by `make test` and `make lint`).
FORMAT_PATHS := sim dashboard tests scripts benchmarks

# The import rule (lint-imports: layers, no Streamlit in sim), ruff (lint and format), the tests,
# then every scenario file's expectations (the patterns the model must keep showing).
test: $(STAMP) browser
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check $(FORMAT_PATHS)
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
	$(VENV)/bin/ruff format --check $(FORMAT_PATHS)

clean:
	rm -rf $(VENV)
