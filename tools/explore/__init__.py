"""fpga-explore's library: multi-objective cross-layer design-space exploration (HALF-style).

* `space.py`     the genes (per-layer bit widths, board, clock, resource budget, topology knobs)
                 and how a gene vector decodes into settings;
* `model.py`     the ONNX model of a candidate (builder, re-quantisation), cached on disk;
* `evaluate.py`  one candidate: the fpga-compile pipeline, the cost model, the power model,
                 fpga-sim's functional model on labelled data -> objective values;
* `engines.py`   where evaluations run: in process, a local process pool, or a Dask cluster;
* `search.py`    NSGA-II (pymoo) and random search over the space, with a progress bar;
* `front.py`     non-dominated points, hypervolume, JSON/CSV, the design goals;
* `plots.py`     the PNG plots (matplotlib).

docs/explore.md explains the whole; tools/fpga_explore.py is the command line.
"""
