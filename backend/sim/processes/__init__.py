"""fpga-sim's timing of every `dataflow` op: `PROCESSES`, filled by one module per op family.

`pointwise.py` is the default (every port at a constant rate); the sliding
window of conv and pool is `window.py`.
"""

from fpga_opt.backend.sim.processes import conv, exits, linear, pointwise, pool  # noqa: F401 - they register
from fpga_opt.backend.sim.processes.registry import PROCESSES, ProcessBuilder

__all__ = ["PROCESSES", "ProcessBuilder"]
