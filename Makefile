# Every target creates or reuses .venv and installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
INTEROP := tests/interop

.PHONY: demo city test lint bench clean lock audit i18n web web-test

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

# A city in a box on loopback: desk, web wallet and scanner (Ctrl-C stops it).
city: $(STAMP) web
	$(BIN)/citykey demo --serve --home $$(mktemp -d)/city

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy wallet_spec wallet keys issuer verifier citykey citykey_io

test: lint web web-test $(INTEROP)/node_modules/.installed
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
	    --no-emit-index-url --no-emit-trusted-host --extra dev --extra bench --extra fuzz -o requirements.lock pyproject.toml
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
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/public -type f 2>/dev/null) $(WEB)/build.mjs wallet_spec/vectors/qr_codec.json

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	@echo "Installing the web wallet's packages (first run: npm ci from $(WEB)/package-lock.json)..."
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

# Its messages come from the one catalogue: exported as JSON first, then filtered by the build.
$(WEB)/dist/index.html: $(STAMP) $(WEB)/node_modules/.installed $(WEB_SOURCES) $(wildcard $(LOCALE)/*/LC_MESSAGES/citykey.po) citykey_io/error_messages.py
	@echo "Building the web wallet into $(WEB)/dist/ (served by the issuer at /wallet/)..."
	rm -rf $(WEB)/catalogues
	$(BIN)/citykey i18n export --out $(WEB)/catalogues > /dev/null
	$(BIN)/citykey i18n languages > $(WEB)/catalogues/languages.json
	cd $(WEB) && npm run --silent build

# The /apply/ page (issuer/apply/web): built with the web wallet's toolchain and modules, with the
# messages it uses from the shared catalogue and the field rules the contract generated.
APPLY := issuer/apply/web
APPLY_SOURCES := $(shell find $(APPLY)/src $(APPLY)/public -type f 2>/dev/null) $(APPLY)/build.mjs \
  wallet_spec/vectors/preapplication.json $(wildcard $(LOCALE)/*/LC_MESSAGES/citykey.po) $(WEB)/src/alphanumeric.js $(WEB)/src/qrdraw.js $(WEB)/src/swcore.js

$(APPLY)/dist/index.html: $(STAMP) $(WEB)/node_modules/.installed $(APPLY_SOURCES)
	$(BIN)/citykey i18n export --out $(APPLY)/build/i18n > /dev/null
	cd $(APPLY) && node build.mjs

# The desk's camera reader (issuer/desk/web): the web wallet's esbuild, pinned zxing-wasm and shared reader loop,
# served by the desk at /desk/static/camera/.
DESKCAM := issuer/desk/web
$(DESKCAM)/dist/camera.js: $(WEB)/node_modules/.installed $(DESKCAM)/src/camera.js $(DESKCAM)/build.mjs $(WEB)/src/qrreader.js
	cd $(DESKCAM) && node build.mjs

web: $(WEB)/dist/index.html $(APPLY)/dist/index.html $(DESKCAM)/dist/camera.js

web-test: $(WEB)/node_modules/.installed
	cd $(WEB) && node --test test/
	cd $(APPLY) && node --test test/

# The other implementations of tests/interop (the OpenWallet Foundation's sd-jwt-js, oid4vc-ts and
# dcql-ts, exact versions): `npm ci` from the committed lock file; the tests there run their scripts.
$(INTEROP)/node_modules/.installed: $(INTEROP)/package.json $(INTEROP)/package-lock.json
	@echo "Installing the interop libraries (npm ci from $(INTEROP)/package-lock.json)..."
	cd $(INTEROP) && npm ci --no-audit --no-fund
	touch $@

# Coverage-guided fuzzing (atheris) of every parser of outside input, FUZZ_SECONDS each (fuzz/README.md).
FUZZ_SECONDS ?= 1800
FUZZ_TARGETS := presentation sd_jwt qr status_list bundle request wallet openid4vp_request openid4vp_answer
.PHONY: fuzz load
fuzz: $(STAMP)
	@for target in $(FUZZ_TARGETS); do \
	    echo "== fuzz $$target ($(FUZZ_SECONDS) s)"; \
	    mkdir -p fuzz/findings/$$target; \
	    $(BIN)/python -m fuzz.harness $$target -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
	        -print_final_stats=1 -artifact_prefix=fuzz/findings/$$target/ fuzz/corpus/$$target || exit 1; \
	done

# The issuer under load over loopback, SQLite then PostgreSQL (LOAD_SECONDS each; benchmarks/load.py).
LOAD_SECONDS ?= 60
load: $(STAMP)
	$(BIN)/python -m benchmarks.load --seconds $(LOAD_SECONDS) --db sqlite
	$(BIN)/python -m benchmarks.load --seconds $(LOAD_SECONDS) --db postgresql
