"""fpga-sim's semantics of every `dataflow` op: `KERNELS`, filled by one module per op family."""

from fpga_opt.backend.sim.kernels import binary, conv, eltwise, exits, linear, pool, stream, weights  # noqa: F401 - they register
from fpga_opt.backend.sim.kernels.registry import KERNELS, Kernel, KernelBuilder

__all__ = ["KERNELS", "Kernel", "KernelBuilder"]
