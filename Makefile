# Every target creates or reuses .venv and installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean lock audit i18n web web-test

# Dependencies come from requirements.lock (exact versions, hashes); `make lock` updates it.
$(STAMP): pyproject.toml requirements.lock
	@echo "Setting up $(VENV) (first run: about a minute; packages from requirements.lock)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)
	@echo "$(VENV) is ready: run the command as $(BIN)/citykey, or 'source $(VENV)/bin/activate' first."

demo: $(STAMP) web
	$(BIN)/citykey demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy wallet_spec wallet keys issuer verifier citykey citykey_io

test: lint web web-test
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
	$(BIN)/python -m benchmarks --write

# Re-pin every dependency (needs PyPI): after changing pyproject.toml's dependencies.
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/python -m pip install -q pip-tools
	.lock-venv/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links \
	    --no-emit-index-url --no-emit-trusted-host --extra dev --extra bench -o requirements.lock pyproject.toml
	rm -rf .lock-venv

# Known vulnerabilities in the pinned versions (needs PyPI's JSON API; not part of `make test`).
audit: $(STAMP)
	$(BIN)/python -m pip install -q pip-audit
	$(BIN)/pip-audit --strict --require-hashes --disable-pip -r requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The resident's web wallet (wallet/web): `npm ci` from the committed lock file, then the
# esbuild bundle into wallet/web/dist/, which the issuer serves at /wallet/.
WEB := wallet/web
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) $(WEB)/build.mjs

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

$(WEB)/dist/index.html: $(WEB)/node_modules/.installed $(WEB_SOURCES)
	cd $(WEB) && npm run --silent build

web: $(WEB)/dist/index.html

web-test: $(WEB)/node_modules/.installed
	cd $(WEB) && node --test test/
