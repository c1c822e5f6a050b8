# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The bundled example as a project of its own (its modules and the root ports.md).
EXAMPLE := tests/fixtures/axios.toml

.PHONY: run test lint bench docs clean fuzz

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/portlint check --config $(EXAMPLE)

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check axios_portlint tests
	$(BIN)/ruff format --check axios_portlint tests
	$(BIN)/mypy --strict

# The fuzz properties of tests/test_fuzz.py with 80 times the examples of `make test`.
fuzz: $(STAMP)
	PORTLINT_FUZZ=1 $(BIN)/pytest -q -p no:cacheprovider tests/test_fuzz.py --hypothesis-show-statistics

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .mypy_cache .ruff_cache

docs: $(STAMP)
	$(BIN)/python scripts/gen_rule_docs.py

# The process rows time portlint as a user runs it: installed (not editable) in a venv of
# its runtime dependencies only; the in-process stage rows use the development venv.
BENCH_VENV := .venv-bench
bench: $(STAMP)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --constraint constraints.txt .
	$(BENCH_VENV)/bin/pip install --quiet --no-deps --force-reinstall .
	$(BIN)/python bench/bench.py axios large huge same-port scaling --repeat 5 --write \
		--python $(BENCH_VENV)/bin/python
