# The two commands a fresh clone needs: `make demo` and `make test`. Each installs what it
# needs first (uv, then the locked environment in .venv); Kafka's jars are fetched from
# Maven Central on first use and cached in ~/.cache/llmledger.
PYTHON ?= python3
VENV := .venv
UV := $(PYTHON) -m uv
export PIP_ROOT_USER_ACTION := ignore
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test lint format benchmark clean

install: $(VENV)/.synced

# The C extension in native/ is rebuilt by uv when its sources change; list them so make knows too.
# --compile-bytecode: where PYTHONDONTWRITEBYTECODE is set (as here) nothing else writes
# .pyc files, and every dbt process would compile dbt from source again (seconds per build).
$(VENV)/.synced: pyproject.toml instrumentation/pyproject.toml uv.lock native/pyproject.toml \
		$(wildcard native/src/llmledger_wire/*.c native/src/llmledger_wire/*.h)
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@command -v cc >/dev/null || command -v gcc >/dev/null || { echo "A C compiler (gcc) is required to build native/ (apt-get install gcc)"; exit 1; }
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

demo: install
	$(VENV)/bin/llmledger demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/sqlfluff lint dbt_project --processes 2

test: lint
	$(VENV)/bin/pytest

# Each benchmark compares against a baseline measured in the same run (ratios): see README.
benchmark: install
	$(VENV)/bin/python -m benchmarks.instrumentation
	$(VENV)/bin/python -m benchmarks.gateway
	$(VENV)/bin/python -m benchmarks.ingest
	$(VENV)/bin/python -m benchmarks.warehouse

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf .state $(VENV)
