# consult: `make run` serves the site, `make test` checks everything CI checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: run test test-sqlite test-postgresql lint lock translations messages bench load clean

# The exact versions (with hashes) come from the lock files; `make lock` recompiles them
# from pyproject.toml with uv, for Python 3.11 on every platform. The app itself is
# installed last, without dependencies, so nothing outside the lock gets in.
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@

UV_VERSION := 0.13.9
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock"

# The dev lock is constrained by the runtime lock, so tests run the versions production runs.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV_COMPILE) $(UPGRADE) -o requirements.lock
	$(UV_COMPILE) $(UPGRADE) --extra dev -c requirements.lock -o requirements-dev.lock

translations: $(VENV)/.installed
	@for dir in $$(find consult -type d -name translations); do \
		$(BIN)/pybabel --quiet compile -d $$dir || exit 1; \
	done

run: export CONSULT_SITE_URL ?= http://127.0.0.1:$(PORT)
# The demo's video offers get a room per booking (a link only: nothing is called).
run: export CONSULT_MEETING_ROOM_HOST ?= https://meet.jit.si
run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) consult seed-demo
	@# The worker sends mail (to instance/outbox) and runs the timed work; it stops with the server.
	$(FLASK) consult worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT TERM; \
	$(FLASK) run --port $(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The Nu HTML checker (vnu.jar, run with Java 17+) checks every page the browser tests load.
VNU_VERSION := 26.9.27
VNU_JAR := $(VENV)/tools/node_modules/vnu-jar/build/dist/vnu.jar
export CONSULT_VNU_JAR ?= $(abspath $(VNU_JAR))

$(VNU_JAR):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/tools vnu-jar@$(VNU_VERSION)
	@touch $@

# The two databases' suites run side by side (one per core; each has its own database, files
# and Redis key prefix); the SQLite suite's report follows the PostgreSQL one.
SQLITE_LOG := $(VENV)/test-sqlite.log
test: lint translations $(VNU_JAR)
	@echo "CONSULT_TEST_DB=sqlite $(BIN)/pytest -q > $(SQLITE_LOG) (beside the next one)"
	@CONSULT_TEST_DB=sqlite $(BIN)/pytest -q > $(SQLITE_LOG) 2>&1 & lite=$$!; \
	echo "CONSULT_TEST_DB=postgresql $(BIN)/pytest -q"; \
	CONSULT_TEST_DB=postgresql $(BIN)/pytest -q; pg=$$?; \
	wait $$lite; sqlite=$$?; \
	echo "--- SQLite ($(SQLITE_LOG))"; cat $(SQLITE_LOG); \
	test $$pg -eq 0 && test $$sqlite -eq 0

test-sqlite: $(VENV)/.dev-installed translations $(VNU_JAR)
	CONSULT_TEST_DB=sqlite $(BIN)/pytest -q

test-postgresql: $(VENV)/.dev-installed translations $(VNU_JAR)
	CONSULT_TEST_DB=postgresql $(BIN)/pytest -q

# The public pages against a bare Flask app under the same gunicorn, the reservation burst,
# and how slots, the export and the ledger grow: a table, then name=value lines (a few minutes).
bench: $(VENV)/.dev-installed translations
	$(BIN)/python -m tests.bench.run

# The site under gunicorn (4 workers) and the worker on a fresh PostgreSQL database, for
# LOAD_SECONDS; prints throughput and latency, fails on a 5xx, an overlap or a lost mail.
LOAD_SECONDS ?= 60
load: $(VENV)/.dev-installed translations
	LOAD_SECONDS=$(LOAD_SECONDS) $(BIN)/python tests/bench/load.py

# Extract the strings of one part into its French catalog: PKG=booking reads consult/booking
# and consult/templates/booking and writes consult/booking/translations/fr/LC_MESSAGES/messages.po;
# PKG=core reads the shared files (consult/*.py, base.html, errors, macros, the mail partials).
ifeq ($(PKG),core)
CATALOG := consult/translations
SOURCES := $(wildcard consult/*.py) consult/templates/base.html consult/templates/errors consult/templates/macros \
	$(wildcard consult/templates/mail/_*)
else
CATALOG := consult/$(PKG)/translations
SOURCES := consult/$(PKG) $(wildcard consult/templates/$(PKG)) $(wildcard consult/templates/mail/$(PKG)_*)
endif

messages: $(VENV)/.dev-installed
	@test -n "$(PKG)" || (echo "usage: make messages PKG=booking (or PKG=core)" && exit 2)
	@mkdir -p $(CATALOG)
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext -k french_first --no-location \
		-o $(CATALOG)/messages.pot $(SOURCES)
	@if [ -f $(CATALOG)/fr/LC_MESSAGES/messages.po ]; then \
		$(BIN)/pybabel --quiet update --width=100 --no-fuzzy-matching --ignore-obsolete -i $(CATALOG)/messages.pot \
			-d $(CATALOG) -l fr; \
	else \
		$(BIN)/pybabel --quiet init --width=100 -i $(CATALOG)/messages.pot -d $(CATALOG) -l fr; \
	fi
	@rm $(CATALOG)/messages.pot

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks
