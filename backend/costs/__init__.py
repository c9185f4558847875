"""The hardware models of the `dataflow` ops: cycles per frame, pipeline depth and resources.

Like LLVM's target cost models, they describe what the back end builds, and
everyone else only asks: `select-folding` searches with them, `estimate-resources`
and `fpga-report` print them, and `fpga-sim` runs at their rates.  This package
imports the dialects and the target description (`backend/target`) only, so the
passes and the simulator can both use it.
"""
