# Guanxi — two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

help:
	@echo "make run        set up, load the demo on first run, serve http://127.0.0.1:8000"
	@echo "make test       set up and run the whole suite on SQLite and PostgreSQL"
	@echo "make test-full  the same, with the slow variants (100k-row crash rounds, 60 s load)"
	@echo "make bench      import, search, list API, peer and sales workloads (ROWS=1000000 DB=sqlite|pg|both)"
	@echo "make check      Django system checks and missing migrations"
	@echo "make messages   refresh the translation catalogues"

$(PY):
	@PYBIN=$$(scripts/find-python.sh) || exit 1; echo "using $$PYBIN"; "$$PYBIN" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the front-end packages (apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

src/guanxi/static/vendor/.installed: node_modules/.installed scripts/vendor-static.mjs
	npm run --silent vendor
	@touch $@

setup: $(STAMP) src/guanxi/static/vendor/.installed compile-messages

compile-messages: $(STAMP)
	@command -v msgfmt >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; } || { echo "GNU gettext (msgfmt) is needed: apt-get install gettext"; exit 1; }
	@cd src/guanxi && ../../$(PY) ../../manage.py compilemessages -v 0

run: setup
	$(PY) manage.py collectstatic --noinput -v 0
	$(VENV)/bin/guanxi init --demo
	@$(VENV)/bin/guanxi demo --show
	$(VENV)/bin/guanxi serve --host 127.0.0.1 --port 8000

test: setup
	scripts/test.sh

test-full: setup
	GUANXI_TEST_MARKER="slow or not slow" scripts/test.sh

bench: setup
	$(PY) -m bench --rows $${ROWS:-100000} --db $${DB:-both}

check: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

messages: $(STAMP)
	cd src/guanxi && ../../$(PY) ../../manage.py makemessages -l zh_Hans -l en --no-obsolete -i "static/vendor/*" -i "tests/*"

clean:
	rm -rf $(VENV) node_modules src/guanxi/static/vendor staticfiles var/test

.PHONY: help setup compile-messages run test test-full bench check messages clean
