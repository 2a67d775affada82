# Every target creates or reuses .venv and installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean i18n

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/citykey demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy wallet_spec wallet keys issuer verifier citykey citykey_io

test: lint
	$(BIN)/pytest

# Messages of every party, one gettext catalogue per language (docs/translating.md):
# extract what the code and pages use into the template, bring every language's .po file
# up to date with it, then compile each to check it and count what is left to translate.
LOCALE := citykey_io/locale
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --sort-by-file --add-location=file --no-wrap --add-comments=TRANSLATORS: \
	  --project=citykey --version=0.1.0 --copyright-holder="citykey contributors" -o $(LOCALE)/citykey.pot .
	$(BIN)/pybabel update -i $(LOCALE)/citykey.pot -d $(LOCALE) -D citykey --no-wrap --ignore-obsolete
	for po in $(LOCALE)/*/LC_MESSAGES/citykey.po; do \
	  $(BIN)/pybabel compile --statistics -i $$po -o /dev/null || exit 1; done

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
