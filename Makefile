# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PG_ADMIN ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint test-sqlite test-postgres test-dates faketime install postgres browser oidc-provider pdf-libs lock fuzz bench wrk clean help

help:
	@echo "make run    - set up, migrate, load the framework and demo programme, serve on :8000"
	@echo "make test   - the whole test suite on SQLite and on PostgreSQL"
	@echo "make test-dates - the suite with the clock moved to dates where clock mistakes show"
	@echo "make lint   - ruff over the code, the tests and the benchmarks"
	@echo "make lock   - re-pin every dependency into requirements.lock"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) pdf-libs

# PDF reports are drawn by WeasyPrint, which needs the Pango text libraries from the system.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
pdf-libs:
	@ldconfig -p | grep -q 'libpango-1.0.so' && ldconfig -p | grep -q 'libpangoft2-1.0.so' \
	  && ldconfig -p | grep -q 'libharfbuzz-subset.so' || { \
	  echo "Installing Pango and HarfBuzz (Debian packages $(PDF_PACKAGES)) for PDF reports"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null) \
	  || { echo "Could not install them: PDF reports need $(PDF_PACKAGES)"; exit 1; }; }

run: install
	mkdir -p data
	$(BIN)/imroc db upgrade
	$(BIN)/imroc seed framework
	$(BIN)/imroc seed demo
	@echo "Serving on http://127.0.0.1:8000 (Ctrl+C to stop)"
	IMROC_ENV=demo IMROC_COOKIE_SECURE=false $(BIN)/imroc serve --host 127.0.0.1 --port 8000

# PostgreSQL is the shared deployment database: start the local cluster if it is down.
postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "Starting PostgreSQL"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | sort -V | tail -n1) main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable at 127.0.0.1:5432"; exit 1; }

# Browser tests drive Debian's Chromium; Playwright cannot download its own browser here.
browser:
	@test -x /usr/bin/chromium || { echo "Installing Chromium (Debian package)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "Could not install chromium: browser tests need /usr/bin/chromium"; exit 1; }; }

# The tests' OpenID provider: the npm package oidc-provider, pinned by tests/oidc/package-lock.json.
OIDC_STAMP := tests/oidc/node_modules/.installed-$(shell cat tests/oidc/package-lock.json | cksum | cut -d' ' -f1)
$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js and npm are needed for the tests' OpenID provider"; exit 1; }
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@

oidc-provider: $(OIDC_STAMP)

test: lint test-sqlite test-postgres

# Ruff (pyflakes, pycodestyle, isort, bugbear, pyupgrade and more: see pyproject.toml).
lint: install
	$(BIN)/ruff check imroc tests bench migrations tools

test-sqlite: install browser oidc-provider
	IMROC_TEST_DATABASE=sqlite $(BIN)/pytest -q -p no:cacheprovider -n 2 -m "not browser"
	IMROC_TEST_DATABASE=sqlite $(BIN)/pytest -q -p no:cacheprovider -m browser

# The browser tests drive their own server on SQLite, so they run once, in the SQLite pass.
test-postgres: install postgres oidc-provider
	IMROC_TEST_DATABASE=postgres IMROC_TEST_PG_ADMIN=$(PG_ADMIN) $(BIN)/pytest -q -p no:cacheprovider -n 2 -m "not browser"

# Not part of `make test`: the non-browser suite on SQLite with the clock of every process
# (pytest, its workers and the servers tests start) moved by libfaketime, in England's time
# zone, to the moments where clock mistakes show: a month's last day, 29 February, New Year's
# Eve late, both days the clocks change (00:30 on 31 October is still 30 October in UTC),
# and the first of a month shortly after midnight British Summer Time.
TEST_DATES ?= 2027-01-31T12:00:00 2028-02-29T12:00:00 2026-12-31T23:30:00 \
              2027-03-28T00:30:00 2027-10-31T00:30:00 2027-04-01T00:30:00
FAKETIME_LIB := /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
faketime:
	@test -f $(FAKETIME_LIB) || { echo "Installing libfaketime (Debian package faketime)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null) \
	  || { echo "Could not install faketime: make test-dates needs $(FAKETIME_LIB)"; exit 1; }; }

test-dates: install faketime
	@failed=""; for moment in $(TEST_DATES); do \
	  when=$$(echo $$moment | tr T ' '); echo "== the suite at $$when, Europe/London"; \
	  TZ=Europe/London LD_PRELOAD=$(FAKETIME_LIB) FAKETIME="@$$when" IMROC_TEST_DATABASE=sqlite \
	    $(BIN)/pytest -q -p no:cacheprovider -n 2 -m "not browser" || failed="$$failed $$moment"; \
	done; \
	if [ -n "$$failed" ]; then echo "make test-dates failed at:$$failed"; exit 1; fi; \
	echo "make test-dates: the suite passed at every moment: $(TEST_DATES)"

# The benchmark also drives the read-only pages with wrk (a load generator written in C).
wrk:
	@command -v wrk >/dev/null || { echo "Installing wrk (Debian package) for make bench"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	  || { echo "Could not install wrk: make bench leaves its figures out"; }; }

# Not part of `make test`: a 500-site programme under load, on SQLite then PostgreSQL. Each
# run prints the targets of issue 18 as met or MISSED and keeps every figure in bench/results/;
# both databases run before make fails for a missed target.
bench: install postgres wrk
	@missed=""; \
	$(BIN)/python -m bench.run --db sqlite || missed="$$missed sqlite"; \
	$(BIN)/python -m bench.run --db postgres || missed="$$missed postgres"; \
	$(BIN)/python -m bench.zip_memory && $(BIN)/python -m bench.reminders --db both || exit 1; \
	if [ -n "$$missed" ]; then echo "make bench: a target was missed (or the run failed) on:$$missed"; exit 1; fi

# A longer API fuzzing run than the one inside `make test`: 200 examples per operation from a
# fixed seed, so a run that finds a 500 can be repeated exactly (FUZZ_SEED=... tries others).
FUZZ_SEED ?= 20260
fuzz: install
	IMROC_FUZZ_EXAMPLES=200 $(BIN)/pytest -q -p no:cacheprovider --hypothesis-seed=$(FUZZ_SEED) \
	  tests/test_api_fuzz.py

lock:
	$(BIN)/pip-compile -q --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
	  --generate-hashes -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) data .pytest_cache tests/oidc/node_modules
