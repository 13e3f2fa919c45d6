# consult: `make run` serves the site, `make test` checks everything CI checks.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app

.PHONY: run test test-sqlite test-postgresql lint translations messages bench clean

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

translations: $(VENV)/.installed
	@for dir in $$(find consult -type d -name translations); do \
		$(BIN)/pybabel --quiet compile -d $$dir || exit 1; \
	done

run: export CONSULT_SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) consult seed-demo
	$(FLASK) run --port $(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint translations
	CONSULT_TEST_DB=sqlite $(BIN)/pytest -q
	CONSULT_TEST_DB=postgresql $(BIN)/pytest -q

test-sqlite: $(VENV)/.dev-installed translations
	CONSULT_TEST_DB=sqlite $(BIN)/pytest -q

test-postgresql: $(VENV)/.dev-installed translations
	CONSULT_TEST_DB=postgresql $(BIN)/pytest -q

bench: $(VENV)/.dev-installed translations
	$(BIN)/pytest -q tests/bench --benchmark-enable --benchmark-only

# Extract the strings of one part into its French catalog: PKG=booking reads consult/booking
# and consult/templates/booking and writes consult/booking/translations/fr/LC_MESSAGES/messages.po;
# PKG=core reads the shared files (consult/*.py, base.html, errors, macros).
ifeq ($(PKG),core)
CATALOG := consult/translations
SOURCES := $(wildcard consult/*.py) consult/templates/base.html consult/templates/errors consult/templates/macros
else
CATALOG := consult/$(PKG)/translations
SOURCES := consult/$(PKG) $(wildcard consult/templates/$(PKG)) $(wildcard consult/templates/mail/$(PKG)_*)
endif

messages: $(VENV)/.dev-installed
	@test -n "$(PKG)" || (echo "usage: make messages PKG=booking (or PKG=core)" && exit 2)
	@mkdir -p $(CATALOG)
	$(BIN)/pybabel --quiet extract -F babel.cfg -k _l -k lazy_gettext --no-location \
		-o $(CATALOG)/messages.pot $(SOURCES)
	@if [ -f $(CATALOG)/fr/LC_MESSAGES/messages.po ]; then \
		$(BIN)/pybabel --quiet update --no-fuzzy-matching --ignore-obsolete -i $(CATALOG)/messages.pot \
			-d $(CATALOG) -l fr; \
	else \
		$(BIN)/pybabel --quiet init -i $(CATALOG)/messages.pot -d $(CATALOG) -l fr; \
	fi
	@rm $(CATALOG)/messages.pot

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks
