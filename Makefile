# The README's commands. `make run` and `make test` set up everything on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
STAMP := $(VENV)/.installed
MO := translations/zh/LC_MESSAGES/messages.mo translations/en/LC_MESSAGES/messages.mo
# Where `make run` serves: `make run HOST=0.0.0.0 PORT=8080`.
HOST ?= 127.0.0.1
PORT ?= 5000
# Debian packages: serving needs only the CJK font embedded in PDFs (`make serve-system`); the tests
# and benchmarks (`make system`) add pdftoppm for the PDF tests, Chromium (and its driver) for the
# end-to-end tests in tests/e2e, Pango for WeasyPrint and wrk in `make bench`. Each list goes with
# files that tell whether it is installed.
SERVE_PACKAGES := fonts-wqy-microhei
SERVE_FILES := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
TEST_PACKAGES := poppler-utils chromium chromium-driver libpango-1.0-0 libpangoft2-1.0-0 wrk
TEST_FILES := /usr/bin/pdftoppm /usr/bin/chromium /usr/bin/wrk /usr/lib/$(shell uname -m)-linux-gnu/libpangoft2-1.0.so.0
# $(call apt_install,FILES,PACKAGES): install PACKAGES unless every one of FILES exists
define apt_install
	@missing=""; for f in $(1); do [ -e $$f ] || missing=yes; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $(2)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) >/dev/null; \
	fi
endef
# axe-core from npm, injected into pages by the accessibility tests (package.json, package-lock.json).
AXE := node_modules/axe-core/axe.min.js

.PHONY: run test bench load lint format install system serve-system translations db translate-extract clean

# gunicorn with the production settings of gunicorn.conf.py (README, Deployment), on HOST:PORT
run: install translations db
	GUNICORN_BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

test: install system translations $(AXE)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

bench: install system translations
	$(PY) -m bench

# 200 simulated branch users on gunicorn, SQLite then PostgreSQL (when it answers on 127.0.0.1:5432).
load: install system translations
	$(PY) -m bench.load

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve-system:
	$(call apt_install,$(SERVE_FILES),$(SERVE_PACKAGES))

system: serve-system
	$(call apt_install,$(TEST_FILES),$(TEST_PACKAGES))

$(AXE): package.json package-lock.json
	@command -v npm >/dev/null || { echo "needs npm (Debian package npm) for axe-core"; exit 1; }
	npm ci --no-audit --no-fund
	touch $(AXE)

translations: $(MO)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile -d translations -l $* --statistics

translate-extract: install
	$(FLASK) translate extract

db: install serve-system
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis $(MO)
