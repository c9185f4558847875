# fpga-opt: `make demo` and `make test` do all set-up on a fresh machine with python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT ?= build/demo

.PHONY: install demo test lit pytest lint clean

$(STAMP): pyproject.toml
	$(PYTHON) .ci/bootstrap_venv.py $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/fpga-opt --list-passes
	$(BIN)/fpga-opt examples/ir/residual_block.mlir --pass-pipeline='builtin.module(dataflow-canonicalize)' -o $(DEMO_OUT)/residual_block.mlir
	@echo "demo: canonicalised IR written to $(DEMO_OUT)/residual_block.mlir"

test: lit pytest

lit: $(STAMP)
	$(BIN)/lit -q test

pytest: $(STAMP)
	$(BIN)/python -m pytest test

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build test/Output .pytest_cache .ruff_cache
