# SafeSpaces task runner. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
N ?= 2000
REQUESTS ?= 20

.PHONY: help run test test-browser test-package test-scaleout test-deploy caddy lint typecheck check-deploy bench install env messages migrate seed keys clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'
	@echo "  HOST=address:port   where make run serves (default $(HOST)), e.g. make run HOST=0.0.0.0:8080"
	@echo "  N=incidents         how many make bench generates (default $(N)); REQUESTS= timed per page ($(REQUESTS))"

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the app with its test tools

.env:
	@echo "Writing .env with fresh random keys (development settings; never commit it)"
	@{ echo "DEBUG=true"; $(PY) -m safespaces.crypto.keys; } > .env
	@chmod 600 .env

# The translations, compiled from the catalogues in git (docs/translation.md): ours, and Django's
# own strings where Django's catalogue lacks them.
CATALOGUES := $(wildcard locale/*/LC_MESSAGES/django.po locale/django/*/LC_MESSAGES/django.po)
COMPILED := $(CATALOGUES:.po=.mo)

%.mo: %.po
	@command -v msgfmt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; \
	  else echo "Compiling the translations needs GNU gettext: sudo apt-get install gettext"; exit 1; fi; }
	msgfmt --check -o $@ $<

messages: $(COMPILED) ## Compile the translation catalogues

env: install .env messages ## Write a local .env with fresh keys if there is none

migrate: env ## Apply database migrations
	$(PY) manage.py migrate --no-input

seed: migrate ## Load fictional demo data and print the demo logins
	$(PY) manage.py seed_demo --url http://$(HOST)

# The worker runs in the background of the recipe's shell and the server in its foreground. Ctrl-C
# reaches both (they share the terminal's process group); the trap stops the worker whenever the
# server ends for another reason, and waits for it, so nothing is left running.
run: seed ## Set everything up and serve on http://127.0.0.1:8000, with a background worker
	@trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	export SITE_URL="$${SITE_URL:-http://$(HOST)}"; \
	$(PY) manage.py worker & worker=$$!; \
	$(PY) manage.py runserver $(HOST)

# Debian's chromium, and a Thai font: Debian's default fonts have none, and Thai pages would show
# boxes in the browser tests' screenshots.
browser:
	@{ command -v chromium >/dev/null && [ -d /usr/share/fonts/truetype/tlwg ]; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg; \
	  else echo "The browser tests need Debian's chromium and a Thai font: sudo apt-get install chromium fonts-thai-tlwg"; exit 1; fi; }

# Two processes, each with its own app server, database and chromium: while one waits on a page,
# the other works. On a two-core machine, 120 to 150 s against 140 to 148 s in one process.
BROWSER_TESTS = $(PY) -m pytest -m browser --numprocesses=2

test: env browser ## Run the whole test suite (DATABASE_URL=postgres://... for Postgres)
	$(PY) -m pytest -m "not browser and not package and not scaleout and not deploy" --create-db --numprocesses=auto
	@# The browser tests serve the app from a SQLite database of their own, whatever DATABASE_URL
	@# says: on Postgres they would only repeat themselves.
	@if [[ "$${DATABASE_URL:-}" == postgres* ]]; then \
	  echo "Browser tests skipped: they never use Postgres (make test-browser runs them)"; \
	else $(BROWSER_TESTS); fi

test-browser: env browser ## Run only the browser tests (Debian's chromium)
	$(BROWSER_TESTS)

# Builds the wheel (pip fetches setuptools for the build once), installs it into a fresh virtual
# environment in a temporary folder and runs it from there: SAFESPACES_PACKAGE_FULL=1 also
# installs its dependencies from the package index.
test-package: install ## Build the wheel, install it outside the checkout, migrate and serve from it
	$(PY) -m pytest -m package

# Debian's caddy (2.6): the load balancer of the scale-out test and the reverse proxy of
# deploy/Caddyfile. Installing it does not start it here (no systemd in a container); each test
# starts its own on free ports.
caddy:
	@command -v caddy >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy; \
	  else echo "The scale-out and deployment tests need Debian's caddy: sudo apt-get install caddy"; exit 1; fi; }

# Two gunicorn servers behind Caddy, on a database of the test's own on the Postgres server at
# 127.0.0.1:5432 (created and dropped by the test) and a local S3 server (moto): about 25 s on two
# idle cores.
test-scaleout: env caddy ## Run two app servers behind Caddy on one Postgres and object storage
	$(PY) -m pytest -m scaleout tests/test_scale_out.py

# Needs the Postgres server on 127.0.0.1:5432 (user postgres, as CI runs it): the test makes a
# database and two roles of its own there, with deploy/database.sql, and drops them at the end.
test-deploy: install caddy ## Deploy the wheel with deploy/'s files on Postgres behind Caddy, over HTTPS
	$(PY) -m pytest -m deploy

lint: install ## Check style with ruff
	$(VENV)/bin/ruff check .

typecheck: env ## Check the types with mypy and django-stubs
	$(VENV)/bin/mypy

# Production refuses to start without DATABASE_URL; the checks never connect to it, so an address
# of no real server does.
check-deploy: install ## Run Django's deployment checks with production-like settings
	env DEBUG=false ALLOWED_HOSTS=safespaces.example.org \
	  DATABASE_URL=postgres://safespaces@db.example.org:5432/safespaces \
	  $$($(PY) -m safespaces.crypto.keys | xargs) $(PY) manage.py check --deploy --fail-level WARNING

# Drops and refills the database named by DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
# safespaces_bench), which must have "bench" in its name; results go to bench/results/.
bench: install ## Time every page at N incidents next to the Django admin, e.g. make bench N=100000
	$(PY) benchmarks/pages.py --incidents $(N) --requests $(REQUESTS)

keys: install ## Print fresh keys for a production environment
	@$(PY) -m safespaces.crypto.keys

clean: ## Remove the virtual environment and the local SQLite database
	rm -rf $(VENV) db.sqlite3 db.sqlite3-shm db.sqlite3-wal
