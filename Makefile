# The two commands a newcomer needs: `make demo` and `make test`. Each builds .venv if missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MPLBACKEND := Agg

.PHONY: demo test acceptance bench lint venv clean clean-cache browser

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,live,solana,dist,search]'
	@touch $(STAMP)

venv: $(STAMP)

# the demo, then the kernels a first backtest or sweep of each strategy needs, into the cache every
# process shares (`soltrader warmup --path` prints where; NUMBA_CACHE_DIR overrides it)
demo: $(STAMP)
	$(VENV)/bin/soltrader demo
	$(VENV)/bin/soltrader warmup

# the page tests drive Debian's chromium (never a downloaded browser): as root, as in CI, install
# it when it is missing; elsewhere the browser tests fail and say what to install
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
		|| echo "chromium is missing: the browser tests will fail and say how to install it"

test: $(STAMP) browser
	$(VENV)/bin/lint-imports
	$(PY) -m pytest tests --ignore=tests/benchmarks -q --durations=25
	$(PY) -m pytest --doctest-modules soltrader tests/local_http.py tests/solana_rpc.py -q -p no:cacheprovider

# the long acceptance runs: live replay == backtest on 30 days of 1m bars for five strategies,
# and the backtest fuzz at full size (5,000 + 1,500 drawn cases)
acceptance: $(STAMP)
	SOLTRADER_PARITY_DAYS=30 $(PY) -m pytest tests/e2e/test_live_replay.py -q
	SOLTRADER_FUZZ_EXAMPLES=5000 $(PY) -m pytest tests/property/test_backtest_fuzz.py -q

bench: $(STAMP)
	$(PY) -m tests.benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check soltrader tests
	$(VENV)/bin/ruff format --check soltrader tests
	$(VENV)/bin/lint-imports

# numba's disk cache tracks each kernel's own file only: after editing a kernel that others call
# (soltrader/sim, metrics, indicators), clear it so that the callers recompile
clean-cache: $(STAMP)
	$(VENV)/bin/soltrader warmup --clear --clear-only

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis backtests/demo
