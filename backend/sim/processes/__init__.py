"""fpga-sim's timing of every `dataflow` op: `PROCESSES`, filled by one module per op family.

`pointwise.py` (every port at a constant rate) and `window.py` (the sliding
window of conv and pool) are builders the family modules register.
"""

from fpga_opt.backend.sim.processes import binary, conv, eltwise, exits, linear, pool, stream, weights  # noqa: F401 - they register
from fpga_opt.backend.sim.processes.registry import PROCESSES, ProcessBuilder

__all__ = ["PROCESSES", "ProcessBuilder"]
