# fpga-opt: `make demo` and `make test` do all set-up on a fresh machine with python3.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT ?= build/demo

.PHONY: install demo test test-all test-large lit pytest lint clean browser verilog-tools fuzz

# The same extras a user installs with `pip install 'fpga-opt[all]'` (csim headers, plotting), plus
# the test tools and fpga-explore's extra (pymoo, distributed) for its tests.  `[csim]` is the hls4ml
# wheel, for its Apache-2.0 ap_int.h / hls_stream.h.
$(STAMP): pyproject.toml $(wildcard tools/launchers/fpga-*)
	$(PYTHON) .ci/bootstrap_venv.py $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test,explore]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium, for the tests that load the HTML report in a headless browser.  Installed when
# missing and running as root; otherwise those tests print that they are skipped and why.
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "make: could not install chromium; the browser tests will be skipped"

# The main job: ONNX -> optimised dataflow IR -> Vitis HLS project, checked by g++ C simulation.
demo: $(STAMP)
	$(BIN)/fpga-compile examples/models/lenet5_int8.onnx --board kv260 -o $(DEMO_OUT)

test: verilog-tools lit pytest

# The Verilog backend's tests simulate with Icarus and synthesise with yosys (Debian packages; apt as
# root).  Without them those tests say in one line that they are skipped and why.
verilog-tools:
	@command -v yosys >/dev/null && command -v iverilog >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends yosys iverilog >/dev/null) || \
	  echo "make: could not install yosys/iverilog (not root?): the Verilog tests will be skipped"

# Everything, the heavy tests too (a fresh-venv install of the package, the whole README).
test-all: lit browser
	FPGA_OPT_HEAVY=1 $(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadfile test

lit: $(STAMP)
	$(BIN)/lit -q test

# One pytest worker per core (2 in CI): whole test files go to one worker, so a module's fixtures are
# built once.
PYTEST_JOBS ?= auto
pytest: $(STAMP) browser
	$(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadfile test

# The reliability fuzzer (docs/reliability.md): N hostile cases over all families, fixed seed,
# a per-family table; exit 1 if any broke the promise.  `make test` runs a fixed slice of it.
N ?= 400
SEED ?= 12
fuzz: $(STAMP)
	$(BIN)/python test/fuzz/fuzz_cli.py --runs $(N) --seed $(SEED) --save-failures build/fuzz-failures --json build/fuzz.json

# ResNet-18/50 and MobileNet-v2 at 224x224 through fpga-compile on KV260 and ZCU102 (docs/passes/offchip.md):
# hours on 2 cores, not part of `make test`.
test-large: $(STAMP)
	FPGA_OPT_LARGE=1 FPGA_OPT_MODEL_CACHE=build/models $(BIN)/python -m pytest test/pytest/offchip/test_large_models.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build test/Output .pytest_cache .ruff_cache
