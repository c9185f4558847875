# fpga-opt: `make demo` and `make test` do all set-up on a fresh machine with python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT ?= build/demo

.PHONY: install demo test lit pytest lint clean

# The explore extra (pymoo, distributed, tqdm, matplotlib) is installed for fpga-explore's tests.
# hls4ml is installed without its (heavy, unneeded) dependencies: only its Apache-2.0 copies of
# ap_int.h / hls_stream.h are used, for g++ C simulation of emitted HLS projects.
$(STAMP): pyproject.toml
	$(PYTHON) .ci/bootstrap_venv.py $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,explore]'
	$(BIN)/python -m pip install --quiet --no-deps 'hls4ml==1.3.*'
	touch $(STAMP)

install: $(STAMP)

# The main job: ONNX -> optimised dataflow IR -> Vitis HLS project, checked by g++ C simulation.
demo: $(STAMP)
	$(BIN)/fpga-compile examples/models/lenet5_int8.onnx --board kv260 -o $(DEMO_OUT)

test: lit pytest

lit: $(STAMP)
	$(BIN)/lit -q test

pytest: $(STAMP)
	$(BIN)/python -m pytest test

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build test/Output .pytest_cache .ruff_cache
